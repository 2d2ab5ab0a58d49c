package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// TestUsersFilterSearchesAllUsers: the Users filter finds a user that is
// on the third page of the unfiltered list, not only the users of the
// page being shown.
func TestUsersFilterSearchesAllUsers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.iam(e.root)
	// Three pages of users (the page is 20): u-00 … u-54, and the one
	// searched for sorts after all of them.
	for i := range 55 {
		if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("u-%02d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("zz-Needle")}); err != nil {
		t.Fatal(err)
	}
	br := e.browser()
	br.loginRoot()
	first := br.get("/console/users")
	if first.StatusCode != http.StatusOK || strings.Contains(first.body, "zz-Needle") {
		t.Fatalf("the first page (status %d) should not show the last user", first.StatusCode)
	}
	r := br.get("/console/users?filter=needle")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("filtered users: status %d\n%s", r.StatusCode, r.body)
	}
	if !strings.Contains(r.body, `href="/console/users/zz-Needle"`) {
		t.Fatalf("the filter did not find zz-Needle on page 3:\n%s", r.body)
	}
	if strings.Contains(r.body, `href="/console/users/u-`) {
		t.Fatal("the filter shows users that do not match")
	}
	if strings.Contains(r.body, `rel="next"`) {
		t.Fatal("one match, yet the page links to a next page")
	}
	// A filter matching more than a page pages through the matches: the
	// second page continues where the first stopped, with no repeats.
	p1 := br.get("/console/users?filter=U-")
	if n := strings.Count(p1.body, `href="/console/users/u-`); n != 20 {
		t.Fatalf("first filtered page shows %d users, want 20", n)
	}
	next := hrefRel(t, p1.body, "next")
	p2 := br.get(next)
	if !strings.Contains(p2.body, `href="/console/users/u-20"`) || strings.Contains(p2.body, `href="/console/users/u-19"`) {
		t.Fatalf("second filtered page (%s) does not continue at u-20:\n%s", next, p2.body)
	}
	p3 := br.get(hrefRel(t, p2.body, "next"))
	if n := strings.Count(p3.body, `href="/console/users/u-`); n != 15 || strings.Contains(p3.body, `rel="next"`) {
		t.Fatalf("third filtered page shows %d users (want 15) or links further", n)
	}
}

// hrefRel returns the (unescaped) href of the link with rel.
func hrefRel(t *testing.T, body, rel string) string {
	t.Helper()
	i := strings.Index(body, `rel="`+rel+`"`)
	if i < 0 {
		t.Fatalf("no rel=%q link in:\n%s", rel, body)
	}
	j := strings.LastIndex(body[:i], `href="`)
	if j < 0 {
		t.Fatalf("no href before rel=%q", rel)
	}
	h := body[j+len(`href="`):]
	h = h[:strings.IndexByte(h, '"')]
	return strings.ReplaceAll(h, "&amp;", "&")
}

// TestCredentialReportPagesAndStreamsTheCSV: the report page shows 100
// rows a page with next and previous links, not every user at once; the
// CSV download holds the whole report.
func TestCredentialReportPagesAndStreamsTheCSV(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	root := e.iam(e.root)
	for i := range 230 {
		if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("r-%03d", i))}); err != nil {
			t.Fatal(err)
		}
	}
	br := e.browser()
	br.loginRoot()
	var p1 *resp
	for deadline := time.Now().Add(30 * time.Second); ; {
		p1 = br.get("/console/credential-report")
		if strings.Contains(p1.body, "r-000") || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	rows := func(body string) int { return strings.Count(body, `<th scope="row">`) }
	// The root's row and 230 users: pages of 100, 100 and 31.
	if p1.StatusCode != http.StatusOK || rows(p1.body) != 100 {
		t.Fatalf("first page: status %d, %d rows, want 100:\n%s", p1.StatusCode, rows(p1.body), p1.body)
	}
	if strings.Contains(p1.body, `rel="prev"`) || pageProblems(p1.body) != nil {
		t.Fatalf("first page links back or has problems: %v", pageProblems(p1.body))
	}
	p2 := br.get(hrefRel(t, p1.body, "next"))
	if rows(p2.body) != 100 || !strings.Contains(p2.body, `<th scope="row">r-099</th>`) || strings.Contains(p2.body, `<th scope="row">r-098</th>`) {
		t.Fatalf("second page does not continue where the first stopped:\n%s", p2.body)
	}
	if back := br.get(hrefRel(t, p2.body, "prev")); rows(back.body) != 100 || !strings.Contains(back.body, `<th scope="row">r-098</th>`) {
		t.Fatalf("the previous link of page 2 is not page 1")
	}
	p3 := br.get(hrefRel(t, p2.body, "next"))
	if rows(p3.body) != 31 || strings.Contains(p3.body, `rel="next"`) || !strings.Contains(p3.body, `<th scope="row">r-229</th>`) {
		t.Fatalf("last page: %d rows (want 31) or a next link:\n%s", rows(p3.body), p3.body)
	}
	// Pages out of range or malformed answer a page of the report, not an
	// error.
	for _, q := range []string{"page=0", "page=-3", "page=abc", "page=99999999999999999999", "page=50"} {
		if r := br.get("/console/credential-report?" + q); r.StatusCode != http.StatusOK || rows(r.body) == 0 {
			t.Errorf("?%s: status %d, %d rows", q, r.StatusCode, rows(r.body))
		}
	}
	csv := br.get("/console/credential-report?format=csv")
	if csv.StatusCode != http.StatusOK || !strings.HasPrefix(csv.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: status %d, type %q", csv.StatusCode, csv.Header.Get("Content-Type"))
	}
	if n := strings.Count(strings.TrimRight(csv.body, "\n"), "\n"); n != 231 {
		t.Fatalf("CSV has %d rows after the header, want 231", n)
	}
}
