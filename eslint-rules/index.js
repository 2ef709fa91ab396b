/** The project's own ESLint rules, as a plugin for eslint.config.js. */
import importZones from './import-zones.js';
import noImportCycle from './no-import-cycle.js';

/** The plugin: `local/import-zones`, `local/no-import-cycle`. */
export default { meta: { name: 'docker-envs-local' }, rules: { 'import-zones': importZones, 'no-import-cycle': noImportCycle } };
