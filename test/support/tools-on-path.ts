// Loaded before every test file (vitest.config.ts): the pinned helm, kustomize, kubectl and sops
// that tools/ built come first on this process's PATH, as `ballast dev env` puts them for a user.
// Renders in the test process, and every CLI or controller a test starts, find them there; the
// product itself takes tools from its options, BALLAST_HELM / BALLAST_KUSTOMIZE, or PATH.
import { toolsOnPath } from '../../src/dev/paths.js';

process.env.PATH = toolsOnPath(process.env.PATH);
