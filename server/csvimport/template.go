package csvimport

// HighLevel's bulk-upload template: its Basic columns
// (postAtSpecificTime, content, link, imageUrls, gifUrl, videoUrls) and the
// Advanced ones (postType, followUpComment, category, watermark, the
// YouTube, Pinterest, Google Business Profile, LinkedIn document and
// TikTok settings), each read onto the field POST /posts fills for it.
// Headers are matched ignoring case and the template's hints in
// parentheses ("postAtSpecificTime (yyyy-MM-dd HH:mm:ss)", "link
// (OGmetaUrl)"). Any other column is refused: a post has nowhere to keep
// it.

import (
	"path"
	"slices"
	"strconv"
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
	ColWatermark        = "watermark"
	ColGBPPostType      = "gbpPostType"
	ColGBPCallToAction  = "gbpCallToAction"
	ColLinkedInDocument = "linkedInDocumentUrl"
	// TikTok's columns are its post settings (the SDK's
	// tiktokPostDetails), each prefixed with tiktok.
	ColTikTokPrivacy          = "tiktokPrivacyLevel"
	ColTikTokComment          = "tiktokEnableComment"
	ColTikTokDuet             = "tiktokEnableDuet"
	ColTikTokStitch           = "tiktokEnableStitch"
	ColTikTokDisclosure       = "tiktokVideoDisclosure"
	ColTikTokPromoteYourBrand = "tiktokPromoteYourBrand"
	ColTikTokPromoteOther     = "tiktokPromoteOtherBrand"
)

// columnNames are the template's columns in its order.
var columnNames = []string{
	ColDate, ColContent, ColLink, ColImages, ColGIF, ColVideos,
	ColType, ColFollowUpComment, ColCategory, ColWatermark, ColYouTubeTitle, ColYouTubePrivacy, ColYouTubeVideoType, ColPinterestBoard,
	ColGBPPostType, ColGBPCallToAction, ColLinkedInDocument,
	ColTikTokPrivacy, ColTikTokComment, ColTikTokDuet, ColTikTokStitch, ColTikTokDisclosure, ColTikTokPromoteYourBrand, ColTikTokPromoteOther,
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

// Extras are the settings of a row that a post keeps for its face to show
// and its publisher to read, as POST /posts keeps applyWatermark,
// gmbPostDetails and tiktokPostDetails: the posts domain stores them
// without rules of its own.
type Extras struct {
	Watermark bool
	GBP       GBPDetails
	TikTok    TikTokDetails
}

// GBPDetails are a Google Business Profile post's type (STANDARD, EVENT
// or OFFER) and call to action (book, order, shop, learn_more, sign_up or
// call); empty when not given.
type GBPDetails struct{ EventType, ActionType string }

// TikTokDetails are a TikTok post's settings; nil flags were not given.
type TikTokDetails struct {
	PrivacyLevel                                    string
	EnableComment, EnableDuet, EnableStitch         *bool
	VideoDisclosure, PromoteYourBrand, PromoteOther *bool
}

// Given reports whether any TikTok setting was given.
func (d TikTokDetails) Given() bool {
	return d.PrivacyLevel != "" || slices.ContainsFunc([]*bool{d.EnableComment, d.EnableDuet, d.EnableStitch,
		d.VideoDisclosure, d.PromoteYourBrand, d.PromoteOther}, func(b *bool) bool { return b != nil })
}

// Values of the enumerated columns.
var (
	gbpPostTypes     = []string{"STANDARD", "EVENT", "OFFER"}
	gbpActions       = []string{"book", "order", "shop", "learn_more", "sign_up", "call"}
	tiktokPrivacies  = []string{"PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY"}
	documentMIMEType = "application/pdf"
)

// planOf is the post a row's cells describe for the import's settings:
// scheduled at its date, a draft without one, in review when the import
// names an approver, with the extras its face keeps. cats maps category
// names to ObjectIds (nil: names are not resolved). A cell that cannot be
// read is an errs.ErrInvalid naming its column; the post's own rules are
// left to the posts domain.
func planOf(cells map[string]string, st Settings, cats map[string]string) (posts.PlanInput, Extras, error) {
	in, err := postOf(cells, st, cats)
	if err != nil {
		return in, Extras{}, err
	}
	ex, err := extrasOf(cells)
	return in, ex, err
}

func postOf(cells map[string]string, st Settings, cats map[string]string) (posts.PlanInput, error) {
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
	if u := cells[ColLinkedInDocument]; u != "" {
		// A document is a media item of its own type, as POST /posts
		// takes one; LinkedIn publishes it as a document post.
		in.Media = append(in.Media, posts.Media{URL: u, Type: documentMIMEType})
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

// extrasOf reads a row's watermark, Google Business Profile and TikTok
// columns.
func extrasOf(cells map[string]string) (Extras, error) {
	var ex Extras
	var err error
	if ex.Watermark, err = flag(cells, ColWatermark); err != nil {
		return ex, err
	}
	if ex.GBP.EventType, err = oneOf(cells, ColGBPPostType, gbpPostTypes, strings.ToUpper); err != nil {
		return ex, err
	}
	// "Learn more" and "LEARN_MORE" are both learn_more.
	if ex.GBP.ActionType, err = oneOf(cells, ColGBPCallToAction, gbpActions, func(v string) string {
		return strings.ReplaceAll(strings.ToLower(v), " ", "_")
	}); err != nil {
		return ex, err
	}
	t := &ex.TikTok
	if t.PrivacyLevel, err = oneOf(cells, ColTikTokPrivacy, tiktokPrivacies, strings.ToUpper); err != nil {
		return ex, err
	}
	for _, f := range []struct {
		col string
		to  **bool
	}{
		{ColTikTokComment, &t.EnableComment}, {ColTikTokDuet, &t.EnableDuet}, {ColTikTokStitch, &t.EnableStitch},
		{ColTikTokDisclosure, &t.VideoDisclosure}, {ColTikTokPromoteYourBrand, &t.PromoteYourBrand},
		{ColTikTokPromoteOther, &t.PromoteOther},
	} {
		if cells[f.col] == "" {
			continue
		}
		v, err := flag(cells, f.col)
		if err != nil {
			return ex, err
		}
		*f.to = &v
	}
	return ex, nil
}

// flag reads a true/false column (also yes/no, 1/0); empty is false.
func flag(cells map[string]string, col string) (bool, error) {
	switch v := strings.ToLower(cells[col]); v {
	case "", "no":
		return false, nil
	case "yes":
		return true, nil
	default:
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, errs.Invalid(col, "must be true or false")
		}
		return b, nil
	}
}

// oneOf reads an enumerated column, normalized by norm; empty is "".
func oneOf(cells map[string]string, col string, values []string, norm func(string) string) (string, error) {
	v := cells[col]
	if v == "" {
		return "", nil
	}
	if v = norm(v); !slices.Contains(values, v) {
		return "", errs.Invalid(col, "must be one of the following values: %s", strings.Join(values, ", "))
	}
	return v, nil
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
