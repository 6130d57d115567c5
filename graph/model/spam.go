package model

import (
	"time"

	"github.com/google/uuid"

	"github.com/switchboardhq/switchboard/server/campaigns"
)

// Spam is a spam as GraphQL shows it: what GET /spams shows of one, without
// its joins (the Task it is on has them).
type Spam struct {
	Status       campaigns.SpamStatus
	Content      string
	Images       []string
	CustomerID   *uuid.UUID
	CustomerName *string
	TweetID      *string
	PostTweetID  *string
	TweetURL     *string
	Views        *int64
	Likes        *int64
	Replies      *int64
	Reposts      *int64
	Error        *string
	ErrorMessage *string
	PostTime     *time.Time
}
