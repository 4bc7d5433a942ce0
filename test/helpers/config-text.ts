/** The smallest valid configuration file (one daemon, one seal-miner), with `extra` YAML appended after it. */
export const minimalConfigText = (extra = ''): string => `
cluster:
  daemons:
    - name: d1
      api: /ip4/127.0.0.1/tcp/1234/http
  miners:
    - name: seal
      actor: f01234
      api: /ip4/127.0.0.1/tcp/2345/http
      roles: [seal]
${extra}`;
