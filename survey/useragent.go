package survey

import "strings"

// User-agent classes kept with each response for the bias filters.
const (
	UABot      = "bot"      // mail security scanners, link previewers, crawlers
	UAHeadless = "headless" // headless browsers and HTTP libraries
	UAMobile   = "mobile"
	UADesktop  = "desktop"
	UAUnknown  = "unknown"
)

var (
	botMarkers = []string{"bot", "crawler", "spider", "slurp", "preview", "scanner", "proofpoint",
		"mimecast", "barracuda", "safelinks", "urldefense", "fireeye", "symantec", "trendmicro", "zscaler", "validator"}
	headlessMarkers = []string{"headless", "phantomjs", "puppeteer", "playwright", "selenium", "curl/", "wget/",
		"python-", "go-http-client", "java/", "okhttp", "axios/", "node-fetch", "libwww", "httpclient"}
	mobileMarkers = []string{"mobile", "android", "iphone", "ipad", "ipod", "opera mini", "iemobile"}
)

// ClassifyUserAgent sorts a User-Agent header into one of the UA classes.
func ClassifyUserAgent(ua string) string {
	s := strings.ToLower(strings.TrimSpace(ua))
	switch {
	case s == "":
		return UAUnknown
	case containsAny(s, botMarkers):
		return UABot
	case containsAny(s, headlessMarkers):
		return UAHeadless
	case containsAny(s, mobileMarkers):
		return UAMobile
	case strings.HasPrefix(s, "mozilla/"), strings.HasPrefix(s, "opera/"):
		return UADesktop
	}
	return UAUnknown
}

func containsAny(s string, markers []string) bool {
	for _, m := range markers {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}
