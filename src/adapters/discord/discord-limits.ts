/**
 * Discord's documented size limits. Going over any of them makes Discord refuse the whole message with
 * "Invalid Form Body", so the renderer splits content instead of letting a long reply fail.
 */
export const discordLimits = {
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footerText: 2048,
  /** Title, description, field names and values and footer text of all embeds of one message together. */
  messageEmbedChars: 6000,
  embedsPerMessage: 10,
  buttonsPerRow: 5,
  rowsPerMessage: 5,
  buttonLabel: 80,
  customId: 100,
  commandName: 32,
  commandDescription: 100,
  optionsPerCommand: 25,
  choicesPerOption: 25,
  choiceName: 100,
  choiceValue: 100,
  commandsPerScope: 100,
  /** Names, descriptions and choices of one command, its subcommands and options together. */
  commandTotalChars: 4000,
  modalTitle: 45,
  textInputLabel: 45,
} as const;
