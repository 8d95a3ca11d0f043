package bulk_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfsync/sfsync/bulk"
	"github.com/sfsync/sfsync/localorg"
	"github.com/sfsync/sfsync/localorg/localorgtest"
)

// End-to-end tests against an in-process localorg: every login, token
// refresh and expiry, a job per operation, jobs by id, resume, describe and
// limits. flow_test.go holds the flows and faults of both Bulk APIs,
// localorg1_test.go the rest of Bulk 1.0, localorg_faults_test.go the
// acceptance's fault tests.

func TestLocalOrgLogins(t *testing.T) {
	org := localorgtest.New(t)
	keyFile, _, cert := jwtKey(t)
	if err := org.Org.SetJWTCertificate(cert); err != nil {
		t.Fatal(err)
	}
	auths := map[string]bulk.Authenticator{
		"soap":     bulk.SOAPLogin{LoginURL: org.URL, Username: org.Username, Password: org.Password, SecurityToken: org.SecurityToken},
		"password": bulk.PasswordFlow{LoginURL: org.URL, ClientID: org.ClientID, ClientSecret: org.ClientSecret, Username: org.Username, Password: org.Password, SecurityToken: org.SecurityToken},
		"refresh":  &bulk.RefreshTokenFlow{LoginURL: org.URL, ClientID: org.ClientID, RefreshToken: org.RefreshToken},
		"jwt":      bulk.JWTBearer{LoginURL: org.URL, ClientID: org.ClientID, Username: org.Username, KeyFile: keyFile},
		"client":   bulk.ClientCredentials{LoginURL: org.URL, ClientID: org.ClientID, ClientSecret: org.ClientSecret},
	}
	names := []string{"soap", "password", "refresh", "jwt", "client", "token"}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			auth := auths[name]
			if name == "token" {
				// A session obtained elsewhere (earlier subtests expired the
				// org's sessions).
				s, err := auths["password"].Authenticate(context.Background(), bulk.AuthContext{HTTP: http.DefaultClient})
				if err != nil {
					t.Fatal(err)
				}
				auth = bulk.AccessToken{InstanceURL: org.URL, Token: s.AccessToken}
			}
			version := ""
			if name == "soap" {
				version = "64.0"
			}
			c := connect(t, auth, version)
			if c.Expired() || c.Version() == "" || c.InstanceURL() != org.URL {
				t.Errorf("expired %v version %q instance %s", c.Expired(), c.Version(), c.InstanceURL())
			}
			if _, err := c.Limits(context.Background()); err != nil {
				t.Fatal(err)
			}
			// Token refresh: the seed's refreshToken.
			if err := c.Refresh(context.Background()); (err == nil) != auth.CanRefresh() {
				t.Errorf("refresh: %v", err)
			}
			// Expiry: a renewable login renews itself; a bare token reports
			// itself expired.
			if err := org.Org.ExpireSessions(context.Background()); err != nil {
				t.Fatal(err)
			}
			_, err := c.Limits(context.Background())
			if auth.CanRefresh() != (err == nil) || c.Expired() == auth.CanRefresh() {
				t.Errorf("after expiry: %v, Expired %v", err, c.Expired())
			}
		})
	}
	_, err := bulk.New(context.Background(), bulk.Config{Auth: bulk.SOAPLogin{LoginURL: org.URL, Username: org.Username, Password: "wrong"}, APIVersion: "60.0"})
	if bulk.ErrorCode(err) != "INVALID_LOGIN" {
		t.Errorf("bad SOAP login: %v", err)
	}
}

func TestLocalOrgEveryOperation(t *testing.T) {
	org := localorgtest.New(t)
	org.ShuffleResults(true, 8)
	c := connect(t, bearer(org), "")
	ctx := context.Background()
	shuffled := false
	run := func(api bulk.API, op bulk.Operation, recs []bulk.Record, ext string) *collected {
		t.Helper()
		req := bulk.IngestRequest{Object: "Account", Operation: op, ExternalIDField: ext, Records: seq(recs), API: api}
		got := collect(t, &req)
		sum, err := c.Ingest(ctx, req)
		if err != nil || len(got.results) != len(recs) {
			t.Fatalf("%v %s: %v %+v", api, op, err, sum)
		}
		if api == bulk.Bulk2 && !slices.IsSorted(got.order) {
			shuffled = true
		}
		return got
	}
	for _, api := range []bulk.API{bulk.Bulk2, bulk.REST} {
		t.Run(api.String(), func(t *testing.T) {
			prefix := "e2e-" + api.String() + "-"
			n := 30
			ins := run(api, bulk.Insert, accounts(n, func(i int) bulk.Record {
				rev, _ := bulk.Number(fmt.Sprint(912260031 + i))
				return bulk.Record{"Name": bulk.Text(fmt.Sprintf("%s%d", prefix, i)), "External_Id__c": bulk.Text(fmt.Sprintf("%s%d", prefix, i)), "AnnualRevenue": rev}
			}), "")
			ids := make([]string, n)
			for i := range ids {
				r := ins.results[i]
				if !r.Success || !r.Created || len(r.ID) != 18 {
					t.Fatalf("insert %d: %+v", i, r)
				}
				ids[i] = r.ID
			}
			// Every result maps to its record: the org stored the name the
			// record carried under the Id its result names.
			names := map[string]string{}
			err := c.QueryEach(ctx, "SELECT Id, Name, AnnualRevenue FROM Account WHERE Name LIKE '"+prefix+"%'", bulk.QueryOptions{MaxRecords: 7}, func(r bulk.Row) error {
				id, _ := r.Get("Id")
				name, _ := r.Get("Name")
				rev, _ := r.Get("AnnualRevenue")
				names[id] = name
				if !strings.Contains(rev, "E8") {
					return fmt.Errorf("AnnualRevenue rendered %q", rev)
				}
				return nil
			})
			if err != nil || len(names) != n {
				t.Fatalf("query: %v, %d rows", err, len(names))
			}
			for i, id := range ids {
				if names[id] != fmt.Sprintf("%s%d", prefix, i) {
					t.Errorf("record %d: %s is %q", i, id, names[id])
				}
			}
			run(api, bulk.Update, accounts(n, func(i int) bulk.Record {
				return bulk.Record{"Id": bulk.Text(ids[i]), "Phone": bulk.Text(fmt.Sprint("555-", i)), "AnnualRevenue": bulk.Null()}
			}), "")
			up := run(api, bulk.Upsert, accounts(4, func(i int) bulk.Record {
				return bulk.Record{"External_Id__c": bulk.Text(fmt.Sprintf("%s%d", prefix, i*20)), "Name": bulk.Text(prefix + "upserted")}
			}), "External_Id__c")
			if !up.results[0].Success || up.results[0].Created || !up.results[3].Created { // 0, 20 exist; 40, 60 do not
				t.Errorf("upsert: %+v", up.results)
			}
			run(api, bulk.Delete, accounts(5, func(i int) bulk.Record { return bulk.Record{"Id": bulk.Text(ids[i])} }), "")
			live, all := 0, 0
			c.QueryEach(ctx, "SELECT Id FROM Account WHERE Name LIKE '"+prefix+"%'", bulk.QueryOptions{}, func(bulk.Row) error { live++; return nil })
			c.QueryEach(ctx, "SELECT Id FROM Account WHERE Name LIKE '"+prefix+"%'", bulk.QueryOptions{All: true}, func(bulk.Row) error { all++; return nil })
			if live != n+2-5 || all != n+2 {
				t.Errorf("after delete: %d live, %d with queryAll", live, all)
			}
		})
	}
	// Bulk 2.0 results were read shuffled, and matched anyway.
	if !shuffled {
		t.Error("results were never shuffled")
	}
}

func TestLocalOrgJobByIDAndResume(t *testing.T) {
	org := localorgtest.Start(t, localorg.Options{JobDelay: 50 * time.Millisecond})
	c := connect(t, bearer(org), "")
	ctx := context.Background()
	var journal bulk.JobRef
	recs := accounts(5, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprint("J", i))} })
	if _, err := c.Ingest(ctx, bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs),
		OnJob: func(ctx context.Context, j bulk.JobRef) error { journal = j; return nil }}); err != nil {
		t.Fatal(err)
	}
	// Load the job by id with a new client (a new run), and resume it.
	c2 := connect(t, bearer(org), "")
	info, err := c2.JobInfo2(ctx, false, journal.ID)
	if err != nil || info.State != "JobComplete" || info.Version() != journal.Version {
		t.Fatalf("job by id: %v %+v", err, info)
	}
	var names []string
	sum, err := c2.Resume(ctx, bulk.ResumeRequest{API: bulk.Bulk2, JobID: journal.ID, Version: journal.Version, OnResult: func(r bulk.Result) error {
		n, _ := r.Row.Get("Name")
		names = append(names, n)
		return nil
	}})
	slices.Sort(names)
	if err != nil || sum.Succeeded != 5 || !slices.Equal(names, []string{"J0", "J1", "J2", "J3", "J4"}) {
		t.Errorf("resume: %v %+v %v", err, sum, names)
	}
	jobs, err := c2.ListJobs2(ctx, false)
	if err != nil || !slices.ContainsFunc(jobs, func(j bulk.JobInfo2) bool { return j.ID == journal.ID }) {
		t.Errorf("list: %v", err)
	}
}

func TestLocalOrgDescribeAndLimits(t *testing.T) {
	org := localorgtest.New(t)
	c := connect(t, bearer(org), "")
	ctx := context.Background()
	d, err := c.Describe(ctx, "Account")
	if err != nil {
		t.Fatal(err)
	}
	name, _ := d.Field("Name")
	ext, ok := d.Field("External_Id__c")
	if !name.Required() || !ok || !ext.ExternalID || !ext.IDLookup {
		t.Errorf("Name %+v External_Id__c %+v", name, ext)
	}
	if g, err := c.DescribeGlobal(ctx); err != nil || len(g.SObjects) == 0 {
		t.Errorf("global: %v", err)
	}
	if l, err := c.Limits(ctx); err != nil || l["DailyBulkApiBatches"].Max == 0 {
		t.Errorf("limits: %v %+v", err, l)
	}
}

func TestLocalOrgHardDeleteAndRESTQuery(t *testing.T) {
	org := localorgtest.New(t)
	c := connect(t, bearer(org), "")
	ctx := context.Background()
	recs := accounts(2500, func(i int) bulk.Record { return bulk.Record{"Name": bulk.Text(fmt.Sprintf("H%04d", i))} })
	req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq(recs), KeyFields: []string{"Name"}}
	got := collect(t, &req)
	if _, err := c.Ingest(ctx, req); err != nil {
		t.Fatal(err)
	}
	// REST query pages through nextRecordsUrl (2,000 rows a page).
	n := 0
	if err := c.QueryEach(ctx, "SELECT Id, Name, Owner.Name FROM Account WHERE Name LIKE 'H%'", bulk.QueryOptions{API: bulk.REST}, func(r bulk.Row) error {
		if owner, ok := r.Get("Owner.Name"); !ok || owner == "" {
			return fmt.Errorf("Owner.Name %q", owner)
		}
		n++
		return nil
	}); err != nil || n != 2500 {
		t.Fatalf("REST query: %v, %d rows", err, n)
	}
	del := accounts(10, func(i int) bulk.Record { return bulk.Record{"Id": bulk.Text(got.results[i].ID)} })
	req = bulk.IngestRequest{Object: "Account", Operation: bulk.HardDelete, Records: seq(del)}
	hd := collect(t, &req)
	if sum, err := c.Ingest(ctx, req); err != nil || sum.Succeeded != 10 || !hd.results[0].Success {
		t.Fatalf("hardDelete: %v %+v", err, sum)
	}
	all := 0
	c.QueryEach(ctx, "SELECT Id FROM Account WHERE Name LIKE 'H%'", bulk.QueryOptions{All: true}, func(bulk.Row) error { all++; return nil })
	if all != 2490 {
		t.Errorf("queryAll after hardDelete: %d rows, want 2490 (hard-deleted rows are gone for good)", all)
	}
	// A journaled job that never got its data is aborted by Resume.
	j, err := c.CreateIngestJob2(ctx, bulk.IngestJobSpec2{Object: "Account", Operation: bulk.Insert})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Resume(ctx, bulk.ResumeRequest{API: bulk.Bulk2, JobID: j.ID, Version: j.Version()}); err != nil {
		t.Fatal(err)
	}
	if info, _ := c.JobInfo2(ctx, false, j.ID); info.State != "Aborted" {
		t.Errorf("open job left %s", info.State)
	}
}

func TestLocalOrgQuoteSOQL(t *testing.T) {
	org := localorgtest.New(t)
	c := connect(t, bearer(org), "")
	ctx := context.Background()
	tricky := "O'Brien \"Ltd\" \\ 50%\nline"
	req := bulk.IngestRequest{Object: "Account", Operation: bulk.Insert, Records: seq([]bulk.Record{{"Name": bulk.Text(tricky)}, {"Name": bulk.Text("plain")}})}
	collect(t, &req)
	if _, err := c.Ingest(ctx, req); err != nil {
		t.Fatal(err)
	}
	var got []string
	err := c.QueryEach(ctx, "SELECT Name FROM Account WHERE Name = "+bulk.QuoteSOQL(tricky), bulk.QueryOptions{}, func(r bulk.Row) error {
		n, _ := r.Get("Name")
		got = append(got, n)
		return nil
	})
	if err != nil || !slices.Equal(got, []string{tricky}) {
		t.Errorf("%v %q", err, got)
	}
}
