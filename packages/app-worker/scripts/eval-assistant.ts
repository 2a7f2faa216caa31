/**
 * `npm run eval`: the assistant evaluation set (packages/domain/test/assistant-eval) against the
 * offline assistant and, when LLM_PROVIDER is set to a provider, against that provider too. Each
 * case runs one turn with the scoped toolbox and the figures check, as RespondToCustomer does.
 * Exit code 1 when the offline assistant scores below the minimum the tests hold it to.
 */
import { OfflineAssistant } from '@palette/domain';
import { createEngine, llmConfigFromEnv } from '@palette/adapters/llm';
import { evalCases, runCase, scoreTable, type CaseResult } from '../../domain/test/assistant-eval/harness.js';

const OFFLINE_MINIMUM = 0.9;

async function runAll(engine: Parameters<typeof runCase>[0]): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (const c of evalCases) results.push(await runCase(engine, c));
  return results;
}

const offline = scoreTable(`offline assistant (${evalCases.length} cases)`, await runAll(new OfflineAssistant()));
process.stdout.write(`${offline.text}\n\n`);

const config = llmConfigFromEnv(process.env);
if (config.provider !== 'offline') {
  const engine = createEngine(config);
  const configured = scoreTable(`${engine.provider} ${engine.model}${config.baseUrl ? ` at ${config.baseUrl}` : ''} (${evalCases.length} cases)`, await runAll(engine));
  process.stdout.write(`${configured.text}\n`);
} else {
  process.stdout.write('LLM_PROVIDER is not set: only the offline assistant was evaluated.\n');
}
process.exitCode = offline.score >= OFFLINE_MINIMUM ? 0 : 1;
