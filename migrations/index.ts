import { InitialSchema1764237600000 } from './1764237600000-initial-schema.js';

/** Every migration, oldest first. Listed explicitly: no file globbing at run time. */
export const migrations = [InitialSchema1764237600000];
