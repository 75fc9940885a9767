#!/usr/bin/env node
// Drives the interop scenario with node-soap (the npm `soap` package), as a Node
// integration would: a client made from the WSDL URL alone, WS-Security UsernameToken
// by soap.WSSecurity in digest (or text) mode.
// stdin: {"wsdl", "username", "password", "password_type": "digest"|"text", "steps": [...]}
// stdout: {label: {"response": ...} | {"fault": {"code", "message"}} | {"error": "..."}}
// (the step format is described in tests/interop/scenario.py)
'use strict';

const soap = require('soap');

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on('data', (chunk) => chunks.push(chunk));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

// "$Label.Path.To.Value" -> that value of an earlier response.
function resolve(value, results) {
  if (Array.isArray(value)) return value.map((v) => resolve(v, results));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, results)]));
  }
  if (typeof value === 'string' && value.startsWith('$')) {
    const [label, ...path] = value.slice(1).split('.');
    return path.reduce((found, key) => found[key], results[label].response);
  }
  return value;
}

function faultOf(error) {
  const fault = error && error.root && error.root.Envelope && error.root.Envelope.Body
    && error.root.Envelope.Body.Fault;
  if (!fault) return null;
  return { code: String(fault.faultcode), message: String(fault.faultstring) };
}

async function main() {
  const request = JSON.parse(await readStdin());
  const client = await soap.createClientAsync(request.wsdl);
  const passwordType = request.password_type === 'digest' ? 'PasswordDigest' : 'PasswordText';
  // WSSecurity makes a fresh Nonce and Created for every call it signs.
  client.setSecurity(new soap.WSSecurity(request.username, request.password, { passwordType }));
  const results = {};
  for (const step of request.steps) {
    try {
      const [response] = await client[`${step.operation}Async`](resolve(step.args, results));
      results[step.label] = { response: response || {} };
    } catch (error) {
      const fault = faultOf(error);
      results[step.label] = fault ? { fault } : { error: String(error && error.stack || error) };
    }
  }
  process.stdout.write(JSON.stringify(results));
}

main().catch((error) => {
  process.stderr.write(`${error && error.stack || error}\n`);
  process.exit(1);
});
