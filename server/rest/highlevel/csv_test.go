package highlevel_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/ent/importrow"
	"github.com/switchboardhq/switchboard/ent/job"
	entpost "github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/server/csvimport"
)

// sampleCSV is a file in HighLevel's bulk-upload template (its headers
// with their hints) whose rows 1–3 make posts for a Facebook page and
// rows 4–7 cannot: a bad date, nothing to post, an http image, an unknown
// category.
const sampleCSV = "postAtSpecificTime (yyyy-MM-dd HH:mm:ss),content,link (OGmetaUrl),imageUrls,gifUrl,videoUrls,postType,followUpComment,category\r\n" +
	`2030-01-02 09:00:00,New year tips,https://acme.example/tips,"https://cdn.example.com/a.jpg, https://cdn.example.com/b.png",,,Post,First!,Evergreen` + "\r\n" +
	"2030-01-03 09:00,Video day,,,,https://cdn.example.com/v.mp4,Reel,,\r\n" +
	",Draft idea,,,,,,,\r\n" +
	"2030-13-01 09:00:00,Bad date,,,,,,,\r\n" +
	"2030-01-04 09:00:00,,,,,,,,\r\n" +
	"2030-01-05 10:00:00,Insecure,,http://cdn.example.com/c.jpg,,,,,\r\n" +
	"2030-01-06 10:00:00,Unknown category,,,,,,,Nope\r\n" +
	",,,,,,,,\r\n"

// sampleRows is how many posts sampleCSV holds (its last line is blank).
const sampleRows = 7

// uploadedIn is accountsIn and labelsIn plus sampleCSV uploaded by tn
// ({filePath}) and by other ({foreignFilePath}).
func uploadedIn(t *testing.T, tn, other *tenant) map[string]string {
	t.Helper()
	vars := accountsIn(t, tn, other)
	for k, v := range labelsIn(t, tn, other) {
		vars[k] = v
	}
	for _, u := range []struct {
		tn  *tenant
		key string
	}{{tn, "filePath"}, {other, "foreignFilePath"}} {
		imp, err := tn.srv.App.Imports.Upload(u.tn.ctx(t), "posts.csv", strings.NewReader(sampleCSV))
		if err != nil {
			t.Fatal(err)
		}
		vars[u.key] = csvimport.FilePath(imp.Job)
	}
	return vars
}

// csvSetIn is uploadedIn with both uploads given their accounts: tn's
// ({csvId}, rows {row1Id}…) publishes to its Facebook page.
func csvSetIn(t *testing.T, tn, other *tenant) map[string]string {
	t.Helper()
	vars := uploadedIn(t, tn, other)
	for _, s := range []struct {
		tn               *tenant
		file, acc, user  string
		csvKey, rowsKeys string
	}{
		{tn, vars["filePath"], vars["fbId"], vars["userId"], "csvId", "row"},
		{other, vars["foreignFilePath"], vars["foreignAccountId"], vars["otherUserId"], "foreignCsvId", "foreignRow"},
	} {
		imp, err := tn.srv.App.Imports.SetAccounts(s.tn.ctx(t), csvimport.SetAccountsInput{FilePath: s.file, RowsCount: sampleRows,
			Settings: csvimport.Settings{FileName: "posts.csv", AccountIDs: []string{s.acc}, UserID: s.user}})
		if err != nil {
			t.Fatal(err)
		}
		vars[s.csvKey] = imp.ObjectID // the upload's filePath, named once
		_, rows, err := tn.srv.App.Imports.Get(s.tn.ctx(t), imp.ObjectID, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			vars[fmt.Sprintf("%s%dId", s.rowsKeys, r.Row)] = r.ObjectID
		}
	}
	delete(vars, "filePath")
	delete(vars, "foreignFilePath")
	return vars
}

// csvFinalIn is csvSetIn with tn's import finalized: rows 1–3 are posts
// {post1Id}…{post3Id}.
func csvFinalIn(t *testing.T, tn, other *tenant) map[string]string {
	t.Helper()
	vars := csvSetIn(t, tn, other)
	if _, err := tn.srv.App.Imports.Finalize(tn.ctx(t), vars["csvId"], vars["userId"], nil); err != nil {
		t.Fatal(err)
	}
	_, rows, err := tn.srv.App.Imports.Get(tn.ctx(t), vars["csvId"], 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.PostID != "" {
			vars[fmt.Sprintf("post%dId", r.Row)] = r.PostID
		}
	}
	return vars
}

// advancedCSV uses the Advanced template's watermark, Google Business
// Profile, LinkedIn document and TikTok columns: row 1 is a post, rows
// 2–5 each give one value its column does not take.
const advancedCSV = "postAtSpecificTime,content,imageUrls,watermark,gbpPostType,gbpCallToAction,linkedInDocumentUrl," +
	"tiktokPrivacyLevel,tiktokEnableComment,tiktokEnableDuet,tiktokEnableStitch,tiktokVideoDisclosure,tiktokPromoteYourBrand,tiktokPromoteOtherBrand\n" +
	"2030-01-02 09:00:00,Grand opening,https://cdn.example.com/a.jpg,TRUE,offer,Learn more,https://cdn.example.com/deck.pdf," +
	"public_to_everyone,yes,no,1,false,,\n" +
	"2030-01-03 09:00:00,Bad flag,https://cdn.example.com/b.jpg,maybe,,,,,,,,,,\n" +
	"2030-01-03 09:00:00,Bad GBP type,https://cdn.example.com/b.jpg,,flyer,,,,,,,,,\n" +
	"2030-01-03 09:00:00,Bad call to action,https://cdn.example.com/b.jpg,,,Buy now,,,,,,,,\n" +
	"2030-01-03 09:00:00,Bad privacy,https://cdn.example.com/b.jpg,,,,,friends,,,,,,\n"

// advancedIn is accountsIn with advancedCSV uploaded by tn and given its
// Facebook page ({csvId}); with finalize, finalized over HTTP, its first
// row the post {postId}.
func advancedIn(finalize bool) func(t *testing.T, tn, other *tenant) map[string]string {
	return func(t *testing.T, tn, other *tenant) map[string]string {
		t.Helper()
		vars := accountsIn(t, tn, other)
		var up struct{ FilePath string }
		body, ct := fileOf(advancedCSV).multipartBody(t, advancedCSV)
		sendAs(t, tn.srv, http.MethodPost, "/"+tn.LocationID+"/csv", tn.header(), ct, body).want(t, 201).decode(t, &up)
		var set struct {
			CSV struct {
				ID string `json:"_id"`
			}
		}
		tn.do(t, http.MethodPost, "/"+tn.LocationID+"/set-accounts", fmt.Sprintf(
			`{"accountIds":[%q],"filePath":%q,"rowsCount":5,"fileName":"advanced.csv","userId":%q,"csvFileType":"advanced"}`,
			vars["fbId"], up.FilePath, vars["userId"])).want(t, 201).decode(t, &set)
		vars["csvId"] = set.CSV.ID
		if !finalize {
			return vars
		}
		tn.do(t, http.MethodPatch, "/"+tn.LocationID+"/csv/"+vars["csvId"], fmt.Sprintf(`{"userId":%q}`, vars["userId"])).want(t, 200)
		_, rows, err := tn.srv.App.Imports.Get(tn.ctx(t), vars["csvId"], 0, 10)
		if err != nil || rows[0].PostID == "" {
			t.Fatalf("rows %+v, %v", rows, err)
		}
		vars["postId"] = rows[0].PostID
		return vars
	}
}

// imports counts tn's imports by status and its staged rows.
func imports(t *testing.T, tn *tenant) (map[job.Status]int, int) {
	t.Helper()
	c := tn.srv.App.Store.Client
	js := c.Job.Query().Where(job.KindEQ(job.KindCSV_IMPORT)).AllX(tn.ctx(t))
	out := map[job.Status]int{}
	for _, j := range js {
		out[j.Status]++
	}
	return out, c.ImportRow.Query().CountX(tn.ctx(t))
}

// wantImports checks tn's imports by status and its rows.
func wantImports(want map[job.Status]int, rows int) func(t *testing.T, tn *tenant, r *reply) {
	return func(t *testing.T, tn *tenant, _ *reply) {
		t.Helper()
		got, n := imports(t, tn)
		if fmt.Sprint(got) != fmt.Sprint(want) || n != rows {
			t.Fatalf("imports %v with %d rows, want %v with %d", got, n, want, rows)
		}
	}
}

// csvPosts counts tn's posts by status.
func csvPosts(t *testing.T, tn *tenant) map[entpost.Status]int {
	t.Helper()
	out := map[entpost.Status]int{}
	for _, p := range tn.srv.App.Store.Client.Post.Query().Where(entpost.SourceEQ(entpost.SourceCSV)).AllX(tn.ctx(t)) {
		out[p.Status]++
	}
	return out
}

func wantPosts(want map[entpost.Status]int) func(t *testing.T, tn *tenant, r *reply) {
	return func(t *testing.T, tn *tenant, _ *reply) {
		t.Helper()
		if got := csvPosts(t, tn); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("csv posts %v, want %v", got, want)
		}
	}
}

func both(checks ...func(t *testing.T, tn *tenant, r *reply)) func(t *testing.T, tn *tenant, r *reply) {
	return func(t *testing.T, tn *tenant, r *reply) {
		t.Helper()
		for _, c := range checks {
			c(t, tn, r)
		}
	}
}

var (
	pending    = job.StatusPENDING
	processing = job.StatusPROCESSING
	partial    = job.StatusPARTIAL
)

// fileOf is an upload of content as posts.csv.
func fileOf(content string) *formPart {
	return &formPart{Field: "file", FileName: "posts.csv", Content: content}
}

func TestCSVUpload(t *testing.T) {
	t.Parallel()
	post := http.MethodPost
	none := wantImports(map[job.Status]int{}, 0)
	tooMany := "postAtSpecificTime,content\n" + strings.Repeat("2030-01-02 09:00:00,hello\n", csvimport.MaxRows+1)
	tooLarge := "postAtSpecificTime,content\n" + strings.Repeat("2030-01-02 09:00:00,"+strings.Repeat("x", 10000)+"\n", csvimport.MaxFileBytes/10000+1)
	runScenarios(t, []scenario{
		{name: "csv_upload", method: post, path: "/{locationId}/csv", form: fileOf(sampleCSV), status: 201,
			check: wantImports(map[job.Status]int{pending: 1}, sampleRows)},
		{name: "csv_upload_session", method: post, path: "/{locationId}/csv", auth: authSession,
			form: fileOf("postAtSpecificTime,content\n2030-01-02 09:00:00,hello\n"), status: 201},
		{name: "csv_upload_missing_file", method: post, path: "/{locationId}/csv",
			form: &formPart{Field: "document", FileName: "posts.csv", Content: sampleCSV}, status: 400, check: none},
		{name: "csv_upload_field_not_file", method: post, path: "/{locationId}/csv",
			form: &formPart{Field: "name", Content: "posts.csv"}, status: 400, check: none},
		{name: "csv_upload_not_multipart", method: post, path: "/{locationId}/csv", body: `{"file":"a,b"}`, status: 400, check: none},
		{name: "csv_upload_bad_csv", method: post, path: "/{locationId}/csv",
			form: fileOf("postAtSpecificTime,content\n2030-01-02 09:00:00,\"unterminated\nmore\n"), status: 400, check: none},
		{name: "csv_upload_ragged_row", method: post, path: "/{locationId}/csv",
			form: fileOf("postAtSpecificTime,content\n2030-01-02 09:00:00,hello,extra\n"), status: 400, check: none},
		{name: "csv_upload_wrong_columns", method: post, path: "/{locationId}/csv",
			form: fileOf("date,text\n2030-01-02 09:00:00,hello\n"), status: 400, check: none},
		{name: "csv_upload_missing_column", method: post, path: "/{locationId}/csv",
			form: fileOf("content,imageUrls\nhello,https://cdn.example.com/a.jpg\n"), status: 400, check: none},
		{name: "csv_upload_no_rows", method: post, path: "/{locationId}/csv",
			form: fileOf("postAtSpecificTime,content\n,\n"), status: 400, check: none},
		{name: "csv_upload_too_many_rows", method: post, path: "/{locationId}/csv", form: fileOf(tooMany), status: 400, check: none},
		{name: "csv_upload_too_large", method: post, path: "/{locationId}/csv", form: fileOf(tooLarge), status: 413, check: none},
		{name: "csv_upload_worker_key", method: post, path: "/{locationId}/csv", auth: authWorkerKey, form: fileOf(sampleCSV), status: 401, check: none},
		{name: "csv_upload_other_location", method: post, path: "/{otherLocationId}/csv", form: fileOf(sampleCSV), status: 404,
			check: func(t *testing.T, tn *tenant, r *reply) {
				none(t, tn, r)
			}},
		{name: "csv_upload_replaces_oldest_waiting", method: post, path: "/{locationId}/csv", form: fileOf(sampleCSV), status: 201,
			prepare: func(t *testing.T, tn, other *tenant) map[string]string {
				for range csvimport.MaxWaitingUploads {
					if _, err := tn.srv.App.Imports.Upload(tn.ctx(t), "old.csv", strings.NewReader(sampleCSV)); err != nil {
						t.Fatal(err)
					}
				}
				return nil
			},
			check: wantImports(map[job.Status]int{pending: csvimport.MaxWaitingUploads}, csvimport.MaxWaitingUploads*sampleRows)},
	})
}

func TestCSVImport(t *testing.T) {
	t.Parallel()
	get, post, patch, del := http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodDelete
	set := func(extra string) string {
		return `{"accountIds":["{fbId}"],"filePath":"{filePath}","rowsCount":7,"fileName":"posts.csv","userId":"{userId}"` + extra + `}`
	}
	uploaded := wantImports(map[job.Status]int{pending: 1}, sampleRows)
	setOnly := wantImports(map[job.Status]int{processing: 1}, sampleRows)
	noPosts := wantPosts(map[entpost.Status]int{})
	finalized := wantPosts(map[entpost.Status]int{entpost.StatusSCHEDULED: 2, entpost.StatusDRAFT: 1})
	runScenarios(t, []scenario{
		// The list.
		{name: "csv_list", method: get, path: "/{locationId}/csv?userId={userId}&includeUsers=true", prepare: csvSetIn, status: 200},
		{name: "csv_list_page", method: get, path: "/{locationId}/csv?userId={userId}&skip=1&limit=5", prepare: csvSetIn, status: 200},
		{name: "csv_list_from_template", method: get, path: "/{locationId}/csv?userId={userId}&isFromTemplate=true", prepare: csvSetIn, status: 200},
		{name: "csv_list_no_user", method: get, path: "/{locationId}/csv", prepare: csvSetIn, status: 400},
		{name: "csv_list_foreign_user", method: get, path: "/{locationId}/csv?userId={otherUserId}", prepare: csvSetIn, status: 422},
		{name: "csv_list_bad_limit", method: get, path: "/{locationId}/csv?userId={userId}&limit=ten", prepare: csvSetIn, status: 422},
		{name: "csv_list_bad_skip", method: get, path: "/{locationId}/csv?userId={userId}&skip=1.5", prepare: csvSetIn, status: 422},
		// Accounts.
		{name: "csv_set_accounts", method: post, path: "/{locationId}/set-accounts", body: set(`,"csvFileType":"basic"`), prepare: uploadedIn, status: 201,
			check: func(t *testing.T, tn *tenant, r *reply) {
				setOnly(t, tn, r)
				n := tn.srv.App.Store.Client.ImportRow.Query().Where(importrow.ErrorNEQ("")).CountX(tn.ctx(t))
				if n != 4 {
					t.Fatalf("%d rows with errors, want 4", n)
				}
				noPosts(t, tn, r)
			}},
		{name: "csv_set_accounts_first_rows", method: post, path: "/{locationId}/set-accounts", prepare: uploadedIn, status: 201,
			body:  strings.Replace(set(""), `"rowsCount":7`, `"rowsCount":2`, 1),
			check: wantImports(map[job.Status]int{processing: 1}, 2)},
		{name: "csv_set_accounts_rows_count_zero", method: post, path: "/{locationId}/set-accounts", prepare: uploadedIn, status: 422,
			body: strings.Replace(set(""), `"rowsCount":7`, `"rowsCount":0`, 1), check: uploaded},
		{name: "csv_set_accounts_rows_count_over", method: post, path: "/{locationId}/set-accounts", prepare: uploadedIn, status: 422,
			body: strings.Replace(set(""), `"rowsCount":7`, `"rowsCount":8`, 1), check: uploaded},
		{name: "csv_set_accounts_rows_count_string", method: post, path: "/{locationId}/set-accounts", prepare: uploadedIn, status: 422,
			body: strings.Replace(set(""), `"rowsCount":7`, `"rowsCount":"7"`, 1), check: uploaded},
		{name: "csv_set_accounts_foreign_account", method: post, path: "/{locationId}/set-accounts", prepare: uploadedIn, status: 422,
			body: strings.Replace(set(""), `{fbId}`, `{foreignAccountId}`, 1), check: uploaded},
		{name: "csv_set_accounts_no_accounts", method: post, path: "/{locationId}/set-accounts", prepare: uploadedIn, status: 422,
			body: strings.Replace(set(""), `"{fbId}"`, ``, 1), check: uploaded},
		{name: "csv_set_accounts_foreign_file", method: post, path: "/{locationId}/set-accounts", prepare: uploadedIn, status: 404,
			body: strings.Replace(set(""), `{filePath}`, `{foreignFilePath}`, 1), check: uploaded},
		{name: "csv_set_accounts_foreign_user", method: post, path: "/{locationId}/set-accounts", prepare: uploadedIn, status: 422,
			body: strings.Replace(set(""), `{userId}`, `{otherUserId}`, 1), check: uploaded},
		{name: "csv_set_accounts_twice", method: post, path: "/{locationId}/set-accounts", prepare: csvSetIn, status: 400,
			body:  strings.Replace(set(""), `{filePath}`, `{csvId}`, 1),
			check: wantImports(map[job.Status]int{processing: 1}, sampleRows)},
		{name: "csv_set_accounts_malformed", method: post, path: "/{locationId}/set-accounts", prepare: uploadedIn, status: 400,
			body: `{"accountIds":`, check: uploaded},
		// One import.
		{name: "csv_get", method: get, path: "/{locationId}/csv/{csvId}", prepare: csvSetIn, status: 200},
		{name: "csv_get_page", method: get, path: "/{locationId}/csv/{csvId}?skip=3&limit=2", prepare: csvSetIn, status: 200},
		{name: "csv_get_foreign", method: get, path: "/{locationId}/csv/{foreignCsvId}", prepare: csvSetIn, status: 404},
		{name: "csv_get_uploaded_only", method: get, path: "/{locationId}/csv/{filePath}", prepare: uploadedIn, status: 404},
		{name: "csv_get_bad_skip", method: get, path: "/{locationId}/csv/{csvId}?skip=three", prepare: csvSetIn, status: 422},
		{name: "csv_get_bad_limit", method: get, path: "/{locationId}/csv/{csvId}?limit=2x", prepare: csvSetIn, status: 422},
		{name: "csv_get_not_objectid", method: get, path: "/{locationId}/csv/123", prepare: csvSetIn, status: 422},
		{name: "csv_get_finalized", method: get, path: "/{locationId}/csv/{csvId}", prepare: csvFinalIn, status: 200},
		// The Advanced columns: the values of rows 2–5 are refused, each naming its column.
		{name: "csv_get_advanced_columns", method: get, path: "/{locationId}/csv/{csvId}", prepare: advancedIn(false), status: 200},
		// Row 1 written as POST /posts would write it: applyWatermark,
		// gmbPostDetails, tiktokPostDetails and the document as a PDF media item.
		{name: "csv_post_from_advanced_columns", method: get, path: "/{locationId}/posts/{postId}", prepare: advancedIn(true), status: 200},
		// Finalize.
		{name: "csv_finalize", method: patch, path: "/{locationId}/csv/{csvId}", body: `{"userId":"{userId}"}`, prepare: csvSetIn, status: 200,
			check: both(finalized, func(t *testing.T, tn *tenant, _ *reply) {
				// The posts are listed as the CSV's.
				var list struct {
					Posts []struct {
						Source, Status, Summary, Type string
						Media                         []struct{ URL, Type string }
					}
				}
				tn.do(t, http.MethodPost, "/"+tn.LocationID+"/posts/list",
					`{"type":"all","skip":"0","limit":"10","fromDate":"","toDate":"","includeUsers":"false"}`).want(t, 201).decode(t, &list)
				got, _ := json.Marshal(list.Posts)
				want := `[{"Source":"csv","Status":"draft","Summary":"Draft idea","Type":"post","Media":[]},` +
					`{"Source":"csv","Status":"scheduled","Summary":"Video day","Type":"reel","Media":[{"URL":"https://cdn.example.com/v.mp4","Type":"video/mp4"}]},` +
					`{"Source":"csv","Status":"scheduled","Summary":"New year tips\n\nhttps://acme.example/tips","Type":"post","Media":[{"URL":"https://cdn.example.com/a.jpg","Type":"image/jpeg"},{"URL":"https://cdn.example.com/b.png","Type":"image/png"}]}]`
				if string(got) != want {
					t.Fatalf("posts/list shows\n%s\nwant\n%s", got, want)
				}
			})},
		{name: "csv_finalize_twice", method: patch, path: "/{locationId}/csv/{csvId}", body: `{"userId":"{userId}"}`, prepare: csvFinalIn, status: 400, check: finalized},
		{name: "csv_finalize_before_accounts", method: patch, path: "/{locationId}/csv/{filePath}", body: `{"userId":"{userId}"}`, prepare: uploadedIn, status: 400,
			check: both(uploaded, noPosts)},
		{name: "csv_finalize_foreign", method: patch, path: "/{locationId}/csv/{foreignCsvId}", body: `{"userId":"{userId}"}`, prepare: csvSetIn, status: 404,
			check: both(noPosts, setOnly)},
		{name: "csv_finalize_no_user", method: patch, path: "/{locationId}/csv/{csvId}", body: `{}`, prepare: csvSetIn, status: 422, check: both(setOnly, noPosts)},
		{name: "csv_finalize_nothing_valid", method: patch, path: "/{locationId}/csv/{csvId}", body: `{"userId":"{userId}"}`, status: 400,
			prepare: func(t *testing.T, tn, other *tenant) map[string]string {
				vars := accountsIn(t, tn, other)
				imp, err := tn.srv.App.Imports.Upload(tn.ctx(t), "bad.csv", strings.NewReader("postAtSpecificTime,content\nsoon,hello\n"))
				if err != nil {
					t.Fatal(err)
				}
				if _, err := tn.srv.App.Imports.SetAccounts(tn.ctx(t), csvimport.SetAccountsInput{FilePath: imp.ObjectID, RowsCount: 1,
					Settings: csvimport.Settings{AccountIDs: []string{vars["fbId"]}, UserID: vars["userId"]}}); err != nil {
					t.Fatal(err)
				}
				vars["csvId"] = imp.ObjectID
				return vars
			},
			check: both(noPosts, wantImports(map[job.Status]int{processing: 1}, 1))},
		// Deletions.
		{name: "csv_delete", method: del, path: "/{locationId}/csv/{csvId}", prepare: csvFinalIn, status: 200,
			check: both(wantImports(map[job.Status]int{}, 0), wantPosts(map[entpost.Status]int{entpost.StatusDELETED: 3}))},
		{name: "csv_delete_before_finalize", method: del, path: "/{locationId}/csv/{csvId}", prepare: csvSetIn, status: 200,
			check: both(wantImports(map[job.Status]int{}, 0), noPosts)},
		{name: "csv_delete_foreign", method: del, path: "/{locationId}/csv/{foreignCsvId}", prepare: csvFinalIn, status: 404,
			check: both(wantImports(map[job.Status]int{partial: 1}, sampleRows), finalized)},
		{name: "csv_post_delete", method: del, path: "/{locationId}/csv/{csvId}/post/{row1Id}", prepare: csvFinalIn, status: 200,
			check: both(wantImports(map[job.Status]int{partial: 1}, sampleRows-1),
				wantPosts(map[entpost.Status]int{entpost.StatusSCHEDULED: 1, entpost.StatusDRAFT: 1, entpost.StatusDELETED: 1}))},
		{name: "csv_post_delete_staged", method: del, path: "/{locationId}/csv/{csvId}/post/{row4Id}", prepare: csvSetIn, status: 200,
			check: wantImports(map[job.Status]int{processing: 1}, sampleRows-1)},
		{name: "csv_post_delete_foreign_csv", method: del, path: "/{locationId}/csv/{foreignCsvId}/post/{foreignRow1Id}", prepare: csvFinalIn, status: 404,
			check: both(wantImports(map[job.Status]int{partial: 1}, sampleRows), finalized)},
		{name: "csv_post_delete_row_of_other_csv", method: del, path: "/{locationId}/csv/{csvId}/post/{foreignRow1Id}", prepare: csvFinalIn, status: 404,
			check: both(wantImports(map[job.Status]int{partial: 1}, sampleRows), finalized)},
	})
}
