import { allFamilies } from '../common/tango/families';
import { type TangoContract } from '../tango-contract/tango-contract';
import { type AnalystView, analystView } from './analyst-columns';
import { analystViewsSql, dropAnalystViewsSql } from './analyst-sql';
import { dataDictionaryMarkdown } from './data-dictionary';
import { dbtSourcesYaml } from './dbt-sources';

export * from './analyst-columns';
export * from './analyst-sql';
export * from './column-names';
export * from './contract-paths';
export * from './data-dictionary';
export * from './dbt-sources';

/** Where the generated documents live, relative to the repository. */
export const DATA_DICTIONARY_PATH = 'docs/data-dictionary.md';
export const DBT_SOURCES_PATH = 'analytics/dbt/sources.yml';

/** Everything generated from Tango's contract for analysts, in one pure step. */
export interface AnalystArtifacts {
  readonly apiVersion: string;
  readonly views: readonly AnalystView[];
  /** What the analyst-view migration applies. */
  readonly sql: readonly string[];
  /** What drops it again. */
  readonly dropSql: readonly string[];
  /** `docs/data-dictionary.md` before Prettier. */
  readonly dataDictionary: string;
  /** `analytics/dbt/sources.yml` before Prettier. */
  readonly dbtSources: string;
}

export function analystArtifacts(contract: TangoContract): AnalystArtifacts {
  const views = allFamilies().map((descriptor) => analystView(contract, descriptor));
  return {
    apiVersion: contract.apiVersion,
    views,
    sql: analystViewsSql(views),
    dropSql: dropAnalystViewsSql(views),
    dataDictionary: dataDictionaryMarkdown(views),
    dbtSources: dbtSourcesYaml(views),
  };
}
export * from './migration-source';
