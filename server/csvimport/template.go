package csvimport

// HighLevel's bulk-upload template: its Basic columns
// (postAtSpecificTime, content, link, imageUrls, gifUrl, videoUrls) and the
// Advanced ones Switchboard can honour (postType, followUpComment,
// category, the YouTube and Pinterest settings). Headers are matched
// ignoring case and the template's hints in parentheses
// ("postAtSpecificTime (yyyy-MM-dd HH:mm:ss)", "link (OGmetaUrl)").

import (
	"path"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/ent/post"
	"github.com/switchboardhq/switchboard/server/errs"
	"github.com/switchboardhq/switchboard/server/posts"
)

// Column keys, as the template names the columns.
const (
	ColDate             = "postAtSpecificTime"
	ColContent          = "content"
	ColLink             = "link"
	ColImages           = "imageUrls"
	ColGIF              = "gifUrl"
	ColVideos           = "videoUrls"
	ColType             = "postType"
	ColFollowUpComment  = "followUpComment"
	ColCategory         = "category"
	ColYouTubeTitle     = "youtubeTitle"
	ColYouTubePrivacy   = "youtubePrivacy"
	ColYouTubeVideoType = "youtubeVideoType"
	ColPinterestBoard   = "pinterestBoardId"
)

// columnNames are the template's columns in its order.
var columnNames = []string{
	ColDate, ColContent, ColLink, ColImages, ColGIF, ColVideos,
	ColType, ColFollowUpComment, ColCategory, ColYouTubeTitle, ColYouTubePrivacy, ColYouTubeVideoType, ColPinterestBoard,
}

// columnKeys maps a lower-cased header to its column; videoUrl is the
// newer template's name of videoUrls.
var columnKeys = func() map[string]string {
	m := map[string]string{"videourl": ColVideos}
	for _, c := range columnNames {
		m[strings.ToLower(c)] = c
	}
	return m
}()

// dateLayouts are the forms of postAtSpecificTime HighLevel accepts, read
// in UTC (a location keeps no time zone), and RFC 3339 with its offset.
var dateLayouts = []string{
	"2006-01-02 15:04:05", "2006-01-02 15:04", "2006/01/02 15:04:05", "2006/01/02 15:04",
	"1/2/2006 15:04:05", "1/2/2006 15:04", time.RFC3339,
}

func parseDate(s string) (time.Time, bool) {
	for _, l := range dateLayouts {
		if t, err := time.ParseInLocation(l, s, time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// postTypes are postType's values: Shorts are YouTube's reels.
var postTypes = map[string]posts.Format{
	"post": posts.FormatPost, "story": posts.FormatStory, "reel": posts.FormatReel, "shorts": posts.FormatReel,
}

// planOf is the post a row's cells describe for the import's settings:
// scheduled at its date, a draft without one, in review when the import
// names an approver. cats maps category names to ObjectIds (nil: names
// are not resolved). A cell that cannot be read is an errs.ErrInvalid
// naming its column; the post's own rules are left to the posts domain.
func planOf(cells map[string]string, st Settings, cats map[string]string) (posts.PlanInput, error) {
	in := posts.PlanInput{
		Status: post.StatusDRAFT, Format: posts.FormatPost, Source: post.SourceCSV,
		AccountIDs: st.AccountIDs, Body: cells[ColContent], FirstComment: cells[ColFollowUpComment],
	}
	if link := cells[ColLink]; link != "" && !strings.Contains(in.Body, link) {
		// HighLevel places the link in the caption; platforms show its
		// preview from there.
		in.Body = strings.TrimSpace(in.Body + "\n\n" + link)
	}
	if d := cells[ColDate]; d != "" {
		at, ok := parseDate(d)
		if !ok {
			return in, errs.Invalid(ColDate, "must be a date as YYYY-MM-DD HH:mm:ss")
		}
		in.ScheduledAt = &at
		in.Status = post.StatusSCHEDULED
		if st.Approver != "" {
			in.Status, in.Approval = post.StatusIN_REVIEW, true
		}
	}
	if t := cells[ColType]; t != "" {
		f, ok := postTypes[strings.ToLower(t)]
		if !ok {
			return in, errs.Invalid(ColType, "must be one of the following values: Post, Story, Reel, Shorts")
		}
		in.Format = f
	}
	for _, m := range []struct {
		col   string
		video bool
	}{{ColImages, false}, {ColGIF, false}, {ColVideos, true}} {
		for _, u := range strings.Split(cells[m.col], ",") {
			if u = strings.TrimSpace(u); u != "" {
				in.Media = append(in.Media, posts.Media{URL: u, Type: mediaType(u, m.col == ColGIF, m.video)})
			}
		}
	}
	d := &in.Details
	d.YouTubeTitle = cells[ColYouTubeTitle]
	d.YouTubePrivacy = strings.ToLower(cells[ColYouTubePrivacy])
	// A YouTube post needs its type; the Basic template has no column for
	// it, so a reel is a short and anything else a video.
	d.YouTubeType = strings.ToLower(cells[ColYouTubeVideoType])
	if d.YouTubeType == "" {
		d.YouTubeType = "video"
		if in.Format == posts.FormatReel || strings.EqualFold(cells[ColType], "shorts") {
			d.YouTubeType = "short"
		}
	}
	if b := cells[ColPinterestBoard]; b != "" {
		// The board of every Pinterest account of the import; the rules
		// ask for one only for Pinterest accounts.
		d.PinterestBoards = map[string]string{}
		for _, id := range st.AccountIDs {
			d.PinterestBoards[id] = b
		}
	}
	if name := cells[ColCategory]; name != "" && cats != nil {
		oid, ok := cats[name]
		if !ok {
			return in, errs.Invalid(ColCategory, "%q is not a category of the location", name)
		}
		in.CategoryID = oid
	}
	return in, nil
}

// mediaType is the MIME type of a media URL, from its extension and its
// column.
func mediaType(u string, gif, video bool) string {
	ext := strings.ToLower(path.Ext(strings.SplitN(strings.SplitN(u, "?", 2)[0], "#", 2)[0]))
	switch {
	case gif || ext == ".gif":
		return "image/gif"
	case video && ext == ".mov":
		return "video/quicktime"
	case video && ext == ".webm":
		return "video/webm"
	case video:
		return "video/mp4"
	case ext == ".png":
		return "image/png"
	case ext == ".webp":
		return "image/webp"
	}
	return "image/jpeg"
}
