/** The VM environment stack (Pulumi.yaml: main infra/). Reads only stack config. */
import { defineVmStack } from './defineVmStack.js';
import { readStackConfig } from './readStackConfig.js';

const stack = defineVmStack(readStackConfig());

export const domainName = stack.domainName;
export const sshUser = stack.sshUser;
export const sshPort = stack.sshPort;
export const envId = stack.envId;
export const ticket = stack.ticket;
