package studio

import "testing"

func TestOutputNamesKeepOriginalsAndStayUnique(t *testing.T) {
	var n OutputNamer
	got := []string{
		n.Name("/photos/Red Dress.JPG", "SKU-1"),
		n.Name(`C:\other\red dress.png`, "SKU-2"),
		n.Name("demo:DEMO-7", "DEMO-7"),
		n.Name("", "../../etc/passwd"),
		n.Name("/elsewhere/red dress.jpg", "SKU-2"),
	}
	want := []string{"Red Dress", "red dress-SKU-2", "DEMO-7", "___.._etc_passwd", "red dress-SKU-2-2"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("name %d = %q, want %q", i, got[i], want[i])
		}
	}
}
