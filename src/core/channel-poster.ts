import type { ChannelRef } from './command.js';
import type { Logger } from './logger.js';
import type { Reply } from './reply.js';

/** Something that can post a reply to a channel of its platform: an adapter, seen from the core. */
export interface ChannelPoster {
  readonly platform: string;
  post(channel: ChannelRef, reply: Reply): Promise<void>;
}

/**
 * Posts to whichever adapter serves a channel's platform. Approval outcomes go back to the channel the request came
 * from; alerts (a later feature) go to the channels their routes name. A platform with no adapter running is logged
 * and skipped, never an error for the caller.
 */
export class ChannelPosters {
  private readonly posters = new Map<string, ChannelPoster>();

  constructor(private readonly log: Logger) {}

  register(poster: ChannelPoster): void {
    this.posters.set(poster.platform, poster);
  }

  unregister(platform: string): void {
    this.posters.delete(platform);
  }

  async post(channel: ChannelRef, reply: Reply): Promise<boolean> {
    const poster = this.posters.get(channel.platform);
    if (!poster) {
      this.log.debug({ channel }, 'no adapter for this platform; message not posted');
      return false;
    }
    try {
      await poster.post(channel, reply);
      return true;
    } catch (error) {
      this.log.warn({ err: error, channel }, 'posting to a channel failed');
      return false;
    }
  }
}
