/** The ACL authorizer: store, decisions, persistence and administration. */
export * from './types.js';
export { Authorizer } from './authorizer.js';
export { ALL_OPERATIONS, type DecisionPolicy } from './decide.js';
export { AclStore } from './store.js';
export { AclFile, ACLS_FILE, type AclChange, type AclPersistence, decodeAcls, encodeAcls } from './file-store.js';
export { AclManager, type AclResult, validateNewAcl } from './manager.js';
export { AUTHORIZER_CLASSES, authorizerPolicy } from './settings.js';
