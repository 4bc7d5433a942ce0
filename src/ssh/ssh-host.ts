/**
 * One machine the bot reaches over SSH. The config layer maps its own schema into this shape; the SSH layer
 * reads nothing else.
 */
export interface SshHost {
  /** The name operators use in chat and in the configuration; errors and logs say this. */
  name: string;
  /** Hostname or IP address to connect to. known_hosts entries are looked up under this value. */
  address: string;
  port: number;
  user: string;
  /**
   * The pinned host key fingerprint, as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it: either
   * the bare `SHA256:…` or the whole line (`256 SHA256:… root@host (ED25519)`). When set, knownHostsFile is
   * not consulted.
   */
  hostKey?: string;
  /** An OpenSSH known_hosts file to check the host key against when no hostKey is pinned. */
  knownHostsFile?: string;
}

/** The bot's private key, inline or as a path, and its passphrase. Never logged, never put in an error. */
export interface SshCredentials {
  privateKey?: string;
  privateKeyPath?: string;
  passphrase?: string;
}
