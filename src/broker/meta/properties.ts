/**
 * `<data-dir>/meta.properties`, as Kafka writes it: the cluster id (generated on first start,
 * Kafka's 22-character base64url UUID text), the node id and the file version. A data
 * directory belongs to one cluster and one node: starting it with a different configured
 * cluster.id or node.id is refused, as Kafka does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StrandError } from '../../errors.js';
import { parseProperties } from '../config.js';
import { randomKafkaUuid } from './uuid.js';
import { writeFileAtomic } from './atomic-file.js';

export const META_PROPERTIES = 'meta.properties';

export interface MetaProperties {
  clusterId: string;
  nodeId: number;
}

export class MetaPropertiesError extends StrandError {
  constructor(message: string) {
    super(message, 'ERR_STRAND_META_PROPERTIES');
  }
}

/**
 * Read `meta.properties` in `dir`, or write it on first start. `clusterId` (the broker's
 * cluster.id setting, if any) is used for a new directory and must match an existing one.
 */
export function loadMetaProperties(dir: string, nodeId: number, clusterId?: string): MetaProperties {
  const path = join(dir, META_PROPERTIES);
  if (existsSync(path)) {
    const props = parseProperties(readFileSync(path, 'utf8'), path);
    const stored = props.get('cluster.id');
    const storedNode = props.get('node.id') ?? props.get('broker.id');
    if (stored === undefined || stored === '') throw new MetaPropertiesError(`${path} has no cluster.id; restore it or remove the file to start a new cluster`);
    if (clusterId !== undefined && clusterId !== '' && clusterId !== stored) {
      throw new MetaPropertiesError(`cluster.id ${clusterId} does not match ${stored} stored in ${path}: this data directory belongs to another cluster`);
    }
    if (storedNode !== undefined && Number(storedNode) !== nodeId) {
      throw new MetaPropertiesError(`node.id ${nodeId} does not match node.id ${storedNode} stored in ${path}: this data directory belongs to another node`);
    }
    return { clusterId: stored, nodeId };
  }
  const id = clusterId !== undefined && clusterId !== '' ? clusterId : randomKafkaUuid();
  writeFileAtomic(path, `#\n#${new Date().toString()}\ncluster.id=${id}\nnode.id=${nodeId}\nversion=1\n`);
  return { clusterId: id, nodeId };
}
