// ClassifyOptions ⇄ CensusSettings: the options hold compiled patterns, the settings their sources,
// so an evidence document can carry what its census was judged against and a replay judge it again.
import type { CensusSettings } from '../model/evidence.js';
import { UsageError } from '../model/errors.js';
import type { ClassifyOptions } from './classify.js';

export function censusSettingsOf(o: ClassifyOptions): CensusSettings {
  return { ports: [...o.ports], serverPattern: o.serverPattern.source, workerPatterns: o.workerPatterns.map((r) => r.source), generationGapSeconds: o.generationGapSeconds, projectRoot: o.projectRoot };
}

/** `where` names the input in the error (`evidence.json`): patterns from a file may not compile here. */
export function classifyOptionsOf(s: CensusSettings, where: string): ClassifyOptions {
  const compile = (source: string, key: string) => {
    try {
      return new RegExp(source);
    } catch (e) {
      throw new UsageError(`${where}: ${key} ${JSON.stringify(source)} is not a valid regular expression: ${(e as Error).message}`);
    }
  };
  return {
    serverPattern: compile(s.serverPattern, 'settings.census.serverPattern'),
    workerPatterns: s.workerPatterns.map((p, i) => compile(p, `settings.census.workerPatterns[${i}]`)),
    ports: [...s.ports],
    generationGapSeconds: s.generationGapSeconds,
    projectRoot: s.projectRoot,
  };
}
