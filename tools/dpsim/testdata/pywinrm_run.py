"""Runs one command on a WinRM host with stock pywinrm, as an independent
client of the DP simulator: NTLM (requests-ntlm) with message encryption
over HTTP. It reads a JSON request on stdin:

  {"url", "username", "password", "command", "arguments", "stdin" (base64)}

opens a shell, starts the command with stdin in pipe mode, sends stdin
with End="true" (pywinrm 0.3 has no call for Send, so the message is built
with its own SOAP header helper), reads the output, signals and deletes
the shell, and prints {"stdout", "stderr" (base64), "exit_code"}.
"""
import base64
import json
import sys

from winrm.protocol import Protocol

SHELL_NS = 'http://schemas.microsoft.com/wbem/wsman/1/windows/shell'


def main():
    req = json.load(sys.stdin)
    p = Protocol(endpoint=req['url'], transport='ntlm', username=req['username'],
                 password=req['password'], server_cert_validation='ignore',
                 message_encryption='always')
    shell_id = p.open_shell()
    command_id = p.run_command(shell_id, req['command'], req['arguments'], console_mode_stdin=False)

    import xmltodict
    send = {'env:Envelope': p._get_soap_header(
        resource_uri=SHELL_NS + '/cmd', action=SHELL_NS + '/Send', shell_id=shell_id)}
    send['env:Envelope'].setdefault('env:Body', {})['rsp:Send'] = {'rsp:Stream': {
        '@Name': 'stdin', '@CommandId': command_id, '@End': 'true', '#text': req['stdin']}}
    p.send_message(xmltodict.unparse(send))

    stdout, stderr, code = p.get_command_output(shell_id, command_id)
    p.cleanup_command(shell_id, command_id)
    p.close_shell(shell_id)
    json.dump({'stdout': base64.b64encode(stdout).decode(), 'stderr': base64.b64encode(stderr).decode(),
               'exit_code': code}, sys.stdout)


if __name__ == '__main__':
    main()
