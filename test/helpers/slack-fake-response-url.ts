import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A response_url post as Slack would receive it. */
export interface ResponsePost {
  id: string;
  body: {
    response_type?: 'ephemeral' | 'in_channel';
    replace_original?: boolean;
    text?: string;
    blocks?: Array<Record<string, unknown>>;
  };
}

/** Slack's response_url endpoints on loopback: `url(id)` gives one per command or click; posts are recorded by id. */
export class FakeResponseUrls {
  readonly posts: ResponsePost[] = [];
  /** The host name in the URLs handed out (default 127.0.0.1): a name only the test proxy resolves, say. */
  host: string | undefined;
  private readonly waiters: Array<{ id: string; count: number; resolve: (posts: ResponsePost[]) => void }> = [];

  private constructor(
    private readonly server: Server,
    private readonly base: string,
  ) {}

  static async start(): Promise<FakeResponseUrls> {
    let fake: FakeResponseUrls | undefined;
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const id = decodeURIComponent((req.url ?? '').replace(/^\/respond\//, ''));
      fake?.record({ id, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') as ResponsePost['body'] });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeResponseUrls(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return fake;
  }

  url(id: string): string {
    const base = new URL(this.base);
    if (this.host) base.hostname = this.host;
    return `${base.origin}/respond/${encodeURIComponent(id)}`;
  }

  postsTo(id: string): ResponsePost[] {
    return this.posts.filter((p) => p.id === id);
  }

  /** Resolves once `count` posts to `id` have arrived. */
  waitFor(id: string, count = 1): Promise<ResponsePost[]> {
    if (this.postsTo(id).length >= count) return Promise.resolve(this.postsTo(id));
    return new Promise((resolve) => this.waiters.push({ id, count, resolve }));
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private record(post: ResponsePost): void {
    this.posts.push(post);
    for (const waiter of [...this.waiters]) {
      if (waiter.id === post.id && this.postsTo(post.id).length >= waiter.count) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(this.postsTo(post.id));
      }
    }
  }
}
