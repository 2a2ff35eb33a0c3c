import type Docker from 'dockerode';

/**
 * dockerode options for a DOCKER_HOST value (unix://, tcp://, ssh://). Undefined lets dockerode
 * read DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH from the environment itself.
 */
export function dockerClientOptions(dockerHost: string | undefined): Docker.DockerOptions | undefined {
  if (dockerHost === undefined || dockerHost === process.env['DOCKER_HOST']) return undefined;
  const url = new URL(dockerHost);
  switch (url.protocol) {
    case 'unix:':
      return { socketPath: url.pathname };
    case 'tcp:':
    case 'http:':
    case 'https:':
      return {
        host: url.hostname,
        port: url.port || (url.protocol === 'https:' ? '2376' : '2375'),
        protocol: url.protocol === 'https:' ? 'https' : 'http',
      };
    case 'ssh:':
      return { host: url.hostname, port: url.port || '22', protocol: 'ssh', ...(url.username ? { username: url.username } : {}) };
    default:
      throw new Error(`DOCKER_HOST "${dockerHost}" must start with unix://, tcp:// or ssh://`);
  }
}
