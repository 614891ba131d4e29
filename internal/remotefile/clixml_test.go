package remotefile

import "testing"

func TestReadableStderr(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text\r\n", "plain text"},
		{"#< CLIXML\r\n" + `<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><Obj S="progress" RefId="0"><TN RefId="0"><T>System.Management.Automation.PSCustomObject</T></TN><MS><I64 N="SourceId">1</I64></MS></Obj><S S="Error">Exception calling "ReadAllBytes" with "1" argument(s): "Could not find file 'C:\x'."_x000D__x000A_</S><S S="Error">At line:1 char:1_x000D__x000A_</S></Objs>`,
			`Exception calling "ReadAllBytes" with "1" argument(s): "Could not find file 'C:\x'." At line:1 char:1`},
		{"#< CLIXML\r\n<Objs><S S=\"progress\">x</S></Objs>", "#< CLIXML\r\n<Objs><S S=\"progress\">x</S></Objs>"},
	} {
		if got := readableStderr([]byte(tc.in)); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}
