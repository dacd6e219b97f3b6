/**
 * Producer ids for idempotent and transactional producers (InitProducerId). Ids are handed out
 * from blocks of 1,000; the end of a block is written to disk (protobuf, atomically) before its
 * first id is used, so no id is ever given twice, even across a crash. Kafka's controller
 * allocates blocks the same way (AllocateProducerIds).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { StorageIOError } from '../errors.js';
import { writeFileAtomic } from './meta/atomic-file.js';
import { ProducerIdBlockSchema } from './meta/producer-ids_pb.js';

const BLOCK = 1000;
export const PRODUCER_IDS_FILE = join('__strand_metadata', 'producer-ids.pb');

export class ProducerIdManager {
  private next: number;
  private blockEnd: number;

  private constructor(private readonly path: string, start: number) {
    this.next = start;
    this.blockEnd = start;
  }

  static open(dataDir: string): ProducerIdManager {
    const path = join(dataDir, PRODUCER_IDS_FILE);
    let start = 0;
    if (existsSync(path)) {
      try {
        start = Number(fromBinary(ProducerIdBlockSchema, readFileSync(path)).nextBlockStart);
      } catch (err) {
        throw new StorageIOError(`cannot read ${path}: ${(err as Error).message}; it records which producer ids were used, so strand will not guess`, path);
      }
    }
    return new ProducerIdManager(path, start);
  }

  /** A producer id never handed out before. */
  allocate(): number {
    if (this.next >= this.blockEnd) {
      const end = this.next + BLOCK;
      writeFileAtomic(this.path, toBinary(ProducerIdBlockSchema, create(ProducerIdBlockSchema, { nextBlockStart: BigInt(end) })));
      this.blockEnd = end;
    }
    return this.next++;
  }
}
