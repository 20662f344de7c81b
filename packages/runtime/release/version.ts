// The suite's version, as package.json has it (scripts/release sets it): what the commands' --version prints
// and what heredoc-lint's SARIF names. The bundles carry it, so a release rebuilds them.
import suite from '../../../package.json' with { type: 'json' };

export const SUITE_VERSION: string = suite.version;
