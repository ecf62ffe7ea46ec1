package survey

import "testing"

func TestClassifyUserAgent(t *testing.T) {
	tests := map[string]string{
		"": UAUnknown,
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148": UAMobile,
		"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 Chrome/120.0 Mobile Safari":   UAMobile,
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36":   UADesktop,
		"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36":     UAHeadless,
		"curl/8.5.0":                              UAHeadless,
		"python-requests/2.31":                    UAHeadless,
		"Go-http-client/1.1":                      UAHeadless,
		"Mozilla/5.0 (compatible; Googlebot/2.1)": UABot,
		"Proofpoint URL Defense":                  UABot,
		"Mozilla/5.0 Barracuda Sentinel":          UABot,
		"Microsoft Office SafeLinks":              UABot,
		"Slackbot-LinkExpanding 1.0":              UABot,
		"something else entirely":                 UAUnknown,
	}
	for ua, want := range tests {
		if got := ClassifyUserAgent(ua); got != want {
			t.Errorf("ClassifyUserAgent(%q) = %q, want %q", ua, got, want)
		}
	}
}
