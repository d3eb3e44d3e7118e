package ddblocal_test

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/truora/minidyn/server"

	"github.com/clickguard/clickguard/internal/ddblocal"
)

func TestServer(t *testing.T) {
	srv, err := ddblocal.Start(t.Context())
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	db := dynamodb.New(dynamodb.Options{RetryMaxAttempts: 1}, ddblocal.ClientOptions(srv.Endpoint()))

	_, err = db.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:   aws.String("t"),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatalf("CreateTable: %v", err)
	}
	item := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}}
	if _, err := db.PutItem(t.Context(), &dynamodb.PutItemInput{TableName: aws.String("t"), Item: item}); err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	out, err := db.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String("t"), Key: item})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if got := out.Item["pk"].(*types.AttributeValueMemberS).Value; got != "a" {
		t.Errorf("GetItem pk = %q, want %q", got, "a")
	}

	srv.Minidyn().EmulateFailure(server.FailureConditionInternalServerError)
	_, err = db.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String("t"), Key: item})
	if _, ok := errors.AsType[*types.InternalServerError](err); !ok {
		t.Errorf("GetItem with emulated failure: err = %v, want *types.InternalServerError", err)
	}
	srv.Minidyn().EmulateFailure(server.FailureConditionNone)

	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := db.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: aws.String("t"), Key: item}); err == nil {
		t.Errorf("GetItem after Close succeeded, want an error")
	}
}
