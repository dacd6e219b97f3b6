/**
 * Producer ids for idempotent and transactional producers (InitProducerId). Ids are handed out
 * from blocks of 1,000. A single broker writes the end of a block to disk (protobuf, atomically)
 * before its first id is used, so no id is ever given twice, even across a crash; a cluster
 * member reserves its blocks from the cluster (`fromCluster`), so no two brokers give the same
 * id. Kafka's controller allocates blocks the same way (AllocateProducerIds).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { StorageIOError } from '../errors.js';
import { writeFileAtomic } from './meta/atomic-file.js';
import { ProducerIdBlockSchema } from './meta/producer-ids_pb.js';

const BLOCK = 1000;
export const PRODUCER_IDS_FILE = join('__strand_metadata', 'producer-ids.pb');

/** Reserves `size` ids from the cluster; resolves with the first. */
export type ProducerIdBlocks = (size: number) => Promise<number>;

export class ProducerIdManager {
  private next: number;
  private blockEnd: number;
  private reserving: Promise<void> | null = null;

  private constructor(private readonly path: string | null, start: number, private readonly blocks: ProducerIdBlocks | null = null) {
    this.next = start;
    this.blockEnd = start;
  }

  /** A cluster member's: blocks come from the cluster. */
  static fromCluster(blocks: ProducerIdBlocks): ProducerIdManager {
    return new ProducerIdManager(null, 0, blocks);
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

  /** A producer id never handed out before (by this broker, or by any broker of its cluster). */
  async allocate(): Promise<number> {
    while (this.next >= this.blockEnd) {
      if (this.blocks === null) {
        const end = this.next + BLOCK;
        writeFileAtomic(this.path!, toBinary(ProducerIdBlockSchema, create(ProducerIdBlockSchema, { nextBlockStart: BigInt(end) })));
        this.blockEnd = end;
        break;
      }
      // One reservation at a time; callers that find the block used up wait for it.
      this.reserving ??= this.blocks(BLOCK).then((start) => {
        this.next = start;
        this.blockEnd = start + BLOCK;
      }).finally(() => {
        this.reserving = null;
      });
      await this.reserving;
    }
    return this.next++;
  }
}
