import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ScriptStep =
  | { readonly toolCalls: ReadonlyArray<{ readonly name: string; readonly arguments: string }> }
  | { readonly content: string }
  | { readonly status: number }
  | { readonly hangMs: number };

/**
 * A local OpenAI-compatible chat completions server: answers POST /v1/chat/completions with the
 * next scripted step (tool calls, text, an HTTP error, or no answer for a while) and records requests.
 */
export class FakeOpenAiServer {
  readonly requests: Array<{ messages: Array<Record<string, unknown>>; tools: unknown[] }> = [];
  private script: ScriptStep[] = [];
  private server: Server | null = null;
  private n = 0;

  enqueue(...steps: ScriptStep[]): void { this.script.push(...steps); }
  reset(): void { this.script = []; this.requests.length = 0; }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res.writeHead.bind(res), (b) => res.end(b)));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/v1`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async handle(req: IncomingMessage, head: (s: number, h: Record<string, string>) => unknown, end: (b: string) => void): Promise<void> {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) { head(404, {}); end('{}'); return; }
    const body = JSON.parse(raw) as { messages: Array<Record<string, unknown>>; tools?: unknown[] };
    this.requests.push({ messages: body.messages, tools: body.tools ?? [] });
    const step = this.script.shift() ?? { content: 'ok' };
    if ('hangMs' in step) { await new Promise((r) => setTimeout(r, step.hangMs)); }
    if ('status' in step) { head(step.status, { 'content-type': 'application/json' }); end(JSON.stringify({ error: { message: 'scripted failure', type: 'server_error' } })); return; }
    const id = ++this.n;
    const message = 'toolCalls' in step
      ? { role: 'assistant', content: null, tool_calls: step.toolCalls.map((c, i) => ({ id: `call_${id}_${i}`, type: 'function', function: { name: c.name, arguments: c.arguments } })) }
      : { role: 'assistant', content: 'content' in step ? step.content : 'late' };
    head(200, { 'content-type': 'application/json' });
    end(JSON.stringify({
      id: `chatcmpl-${id}`, object: 'chat.completion', created: 0, model: 'fake-model',
      choices: [{ index: 0, message, finish_reason: 'toolCalls' in step ? 'tool_calls' : 'stop' }],
      usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
    }));
  }
}
