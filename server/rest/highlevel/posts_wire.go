package highlevel

// The posts' shapes: the create/replace body (the SDK's CreatePostDTO), the
// list body, and a post as the SDK's GetPostFormattedSchema reads it.

import (
	"encoding/json"
	"strings"

	"github.com/switchboardhq/switchboard/ent"
	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/server/posts"
)

// mediaJSON is one media item, in and out: the domain's item (url, type,
// caption, altText, thumbnail), which a post's details keep for
// posts.MediaOf, and what HighLevel adds. originalUrl, watermarkedUrl,
// optimizedUrl and the like are "set automatically by the system" and are
// kept as sent; Switchboard does not watermark or optimize.
type mediaJSON struct {
	posts.Media
	ID             string `json:"id,omitempty"`
	OriginalURL    string `json:"originalUrl,omitempty"`
	WatermarkedURL string `json:"watermarkedUrl,omitempty"`
	OptimizedURL   string `json:"optimizedUrl,omitempty"`
	OptimizedType  string `json:"optimizedType,omitempty"`
	IsModified     *bool  `json:"isModified,omitempty"`
}

// mediaInput is a media item as a request sends it (the OpenAPI document
// wants requests and answers of distinct types).
type mediaInput mediaJSON

// platformInput is platformDetails as a request sends them.
type platformInput platformDetails

// platformDetails are the per-platform objects, stored and given back as
// sent; the rules read the fields below from them.
type platformDetails struct {
	Facebook  json.RawMessage `json:"facebookPostDetails,omitempty"`
	Instagram json.RawMessage `json:"instagramPostDetails,omitempty"`
	YouTube   json.RawMessage `json:"youtubePostDetails,omitempty"`
	LinkedIn  json.RawMessage `json:"linkedinPostDetails,omitempty"`
	Pinterest json.RawMessage `json:"pinterestPostDetails,omitempty"`
	TikTok    json.RawMessage `json:"tiktokPostDetails,omitempty"`
	GMB       json.RawMessage `json:"gmbPostDetails,omitempty"`
}

// The fields of the per-platform objects the rules read.
type (
	typedDetails struct {
		Type string `json:"type"`
	}
	instagramDetails struct {
		Type          string              `json:"type"`
		Collaborators map[string][]string `json:"collaborators"`
	}
	youtubeDetails struct {
		Title        string `json:"title"`
		Type         string `json:"type"`
		PrivacyLevel string `json:"privacyLevel"`
	}
	linkedinDetails struct {
		PDFTitle string `json:"pdfTitle"`
	}
	pinterestDetails struct {
		BoardIDs map[string]string `json:"boardIds"`
		Title    string            `json:"title"`
		Link     string            `json:"link"`
	}
)

// The per-platform objects a CSV import writes (the SDK's GMBPostSchema
// and TiktokPostSchema, as far as the template's columns fill them); the
// post routes store what a request sends as sent.
type (
	gmbDetails struct {
		EventType  string `json:"gmbEventType,omitempty"`
		ActionType string `json:"actionType,omitempty"`
	}
	tiktokDetails struct {
		PrivacyLevel      string `json:"privacyLevel,omitempty"`
		EnableComment     *bool  `json:"enableComment,omitempty"`
		EnableDuet        *bool  `json:"enableDuet,omitempty"`
		EnableStitch      *bool  `json:"enableStitch,omitempty"`
		VideoDisclosure   *bool  `json:"videoDisclosure,omitempty"`
		PromoteYourBrand  *bool  `json:"promoteYourBrand,omitempty"`
		PromoteOtherBrand *bool  `json:"promoteOtherBrand,omitempty"`
	}
)

// postInput is the body of create and of the full replacement (PUT).
type postInput struct {
	AccountIDs          []string        `json:"accountIds"`
	Summary             *string         `json:"summary,omitempty"`
	Media               []mediaInput    `json:"media"`
	Status              *string         `json:"status,omitempty"`
	ScheduleDate        *string         `json:"scheduleDate,omitempty"`
	SelectedBestTime    *string         `json:"selectedBestTime,omitempty"`
	CreatedBy           *string         `json:"createdBy,omitempty"`
	FollowUpComment     *string         `json:"followUpComment,omitempty"`
	OgTagsDetails       json.RawMessage `json:"ogTagsDetails,omitempty"`
	Type                *string         `json:"type,omitempty"`
	PostApprovalDetails json.RawMessage `json:"postApprovalDetails,omitempty"`
	ScheduleTimeUpdated *bool           `json:"scheduleTimeUpdated,omitempty"`
	Tags                []string        `json:"tags"`
	CategoryID          *string         `json:"categoryId,omitempty"`
	ApplyWatermark      *bool           `json:"applyWatermark,omitempty"`
	MediaOptimization   *bool           `json:"mediaOptimization,omitempty"`
	UserID              *string         `json:"userId,omitempty"`
	platformInput
}

// storedPost is what a post keeps of its request beyond the common fields
// (posts.PlanInput.Extra), to give it back as HighLevel does.
type storedPost struct {
	Type      string      `json:"type"`
	Media     []mediaJSON `json:"media,omitempty"`
	CreatedBy string      `json:"createdBy,omitempty"`
	UserID    string      `json:"userId,omitempty"`
	postExtras
}

// postExtras are the fields a post keeps and shows as they were sent.
type postExtras struct {
	SelectedBestTime    string          `json:"selectedBestTime,omitempty"`
	ScheduleTimeUpdated bool            `json:"scheduleTimeUpdated,omitempty"`
	ApplyWatermark      bool            `json:"applyWatermark,omitempty"`
	MediaOptimization   bool            `json:"mediaOptimization,omitempty"`
	OgTagsDetails       json.RawMessage `json:"ogTagsDetails,omitempty"`
	PostApprovalDetails json.RawMessage `json:"postApprovalDetails,omitempty"`
	platformDetails
}

// postJSON is a post as the routes show it.
type postJSON struct {
	ID              string      `json:"_id"`
	Source          string      `json:"source"`
	LocationID      string      `json:"locationId"`
	DisplayDate     jsTime      `json:"displayDate"`
	CreatedAt       jsTime      `json:"createdAt"`
	UpdatedAt       jsTime      `json:"updatedAt"`
	Error           string      `json:"error"`
	PublishedAt     *jsTime     `json:"publishedAt,omitempty"`
	ScheduleDate    *jsTime     `json:"scheduleDate,omitempty"`
	AccountIDs      []string    `json:"accountIds"`
	Summary         string      `json:"summary"`
	Media           []mediaJSON `json:"media"`
	Thumbnail       string      `json:"thumbnail,omitempty"`
	Status          string      `json:"status"`
	CreatedBy       string      `json:"createdBy,omitempty"`
	UserID          string      `json:"userId,omitempty"`
	Type            string      `json:"type"`
	Tags            []string    `json:"tags"`
	CategoryID      string      `json:"categoryId,omitempty"`
	FollowUpComment string      `json:"followUpComment,omitempty"`
	postExtras
	User *userJSON `json:"user,omitempty"`
}

// userJSON is a post's creator with includeUsers (the SDK's
// PostUserSchema, less what Switchboard does not keep).
type userJSON struct {
	ID        string `json:"id"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Email     string `json:"email"`
}

// statusNames are HighLevel's names of the post statuses. QUEUED and
// PUBLISHING are in_progress; PARTIAL (out on some accounts) is
// published, with the failures in error; CANCELLED is failed.
var statusNames = map[post.Status]string{
	post.StatusDRAFT: "draft", post.StatusSCHEDULED: "scheduled", post.StatusIN_REVIEW: "in_review",
	post.StatusQUEUED: "in_progress", post.StatusPUBLISHING: "in_progress",
	post.StatusPUBLISHED: "published", post.StatusPARTIAL: "published",
	post.StatusFAILED: "failed", post.StatusCANCELLED: "failed", post.StatusDELETED: "deleted",
}

// sourceNames are HighLevel's names of where a post came from.
var sourceNames = map[post.Source]string{post.SourceCSV: "csv", post.SourceQUEUE: "recurring"}

func toPostJSON(loc Location, p *ent.Post) postJSON {
	var st storedPost
	_ = json.Unmarshal(p.Details, &st) // written by this package; a post from another face has none
	out := postJSON{
		ID: p.ObjectID, Source: "social_planner", LocationID: loc.ID,
		DisplayDate: jsTime(p.CreatedAt), CreatedAt: jsTime(p.CreatedAt), UpdatedAt: jsTime(p.UpdatedAt),
		Error: p.Error, Summary: p.Body, Status: statusNames[p.Status],
		CreatedBy: st.CreatedBy, UserID: st.UserID, Type: st.Type, FollowUpComment: p.FirstComment,
		postExtras: st.postExtras,
		AccountIDs: []string{}, Tags: []string{}, Media: st.Media,
	}
	if n, ok := sourceNames[p.Source]; ok {
		out.Source = n
	}
	if out.Type == "" {
		out.Type = "post"
	}
	if out.Media == nil { // a post of another face: its media as the domain has them
		ms, _ := posts.MediaOf(p) // its details are not this package's (or none): no error
		out.Media = make([]mediaJSON, len(ms))
		for i, m := range ms {
			out.Media[i] = mediaJSON{Media: m}
		}
	}
	// The first video's cover is the post's thumbnail, shown once at the
	// post's level (the document's "response behavior").
	for i, m := range out.Media {
		if isVideoType(m.Type) {
			out.Thumbnail = m.Thumbnail
			out.Media[i].Thumbnail = ""
			break
		}
	}
	if p.ScheduledAt != nil {
		t := jsTime(*p.ScheduledAt)
		out.ScheduleDate, out.DisplayDate = &t, t
	}
	if p.PublishedAt != nil {
		t := jsTime(*p.PublishedAt)
		out.PublishedAt = &t
	}
	for _, a := range p.Edges.Accounts {
		out.AccountIDs = append(out.AccountIDs, a.ObjectID)
	}
	for _, t := range p.Edges.TagRefs {
		out.Tags = append(out.Tags, t.ObjectID)
	}
	if c := p.Edges.CategoryRef; c != nil {
		out.CategoryID = c.ObjectID
	}
	return out
}

// Results of the post routes.
type (
	postResults struct {
		Post postJSON `json:"post"`
	}
	postsResults struct {
		Posts []postJSON `json:"posts"`
		Count int        `json:"count"`
	}
	deletePostResults struct {
		PostID string `json:"postId"`
	}
	bulkDeleteInput struct {
		PostIDs []string `json:"postIds"`
	}
	bulkDeleteResults struct {
		DeletedCount int `json:"deletedCount"`
	}
	// listInput is posts/list's body (the SDK's SearchPostDTO): its
	// numbers and flags are strings.
	listInput struct {
		Type         *string `json:"type,omitempty"`
		Accounts     *string `json:"accounts,omitempty"`
		Skip         *string `json:"skip,omitempty"`
		Limit        *string `json:"limit,omitempty"`
		FromDate     *string `json:"fromDate,omitempty"`
		ToDate       *string `json:"toDate,omitempty"`
		IncludeUsers *string `json:"includeUsers,omitempty"`
		PostType     *string `json:"postType,omitempty"`
	}
)

func isVideoType(mime string) bool { return strings.HasPrefix(strings.ToLower(mime), "video/") }
