/**
 * The bot token as Discord wants it. A token pasted with its "Bot " prefix works too. Only a prefix followed by a space
 * is removed: discord.js's `login()` also strips "Bot"/"Bearer" letters with no space after them, but real tokens
 * (base64 of the bot's id) never start that way.
 */
export function botToken(configured: string): string {
  return configured.trim().replace(/^(bot|bearer)\s+/i, '');
}
