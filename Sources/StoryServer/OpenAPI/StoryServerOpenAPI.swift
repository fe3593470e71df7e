import Foundation
public import Hummingbird

/// The OpenAPI 3.1 document of the server's routes, written by hand next to them (`GET /openapi.json`).
///
/// `OpenAPIDocumentTests` keeps it true: every route the router has is in it and every path in it is a route,
/// and real responses decode with the schemas' required fields; CI runs schemathesis against a running server
/// from it (`Scripts/ci-server-conformance.sh`). Change a route, change this.
public enum StoryServerOpenAPI {
    /// The document as JSON text.
    public static let json: String = #"""
        {
          "openapi": "3.1.0",
          "info": {
            "title": "StoryForge story-server",
            "version": "1.0.0",
            "description": "Make story videos over HTTP: queue a story, follow its progress (JSON or Server-Sent Events), download its files. JSON is snake_case; dates are ISO 8601 in UTC. Every 4xx and 5xx answer has the body {\"error\": {\"code\", \"message\"}}. A server bound to anything but loopback requires a bearer token on every /v1 route."
          },
          "servers": [
            {
              "url": "/"
            }
          ],
          "security": [
            {},
            {
              "bearer": []
            }
          ],
          "paths": {
            "/healthz": {
              "get": {
                "operationId": "health",
                "summary": "Whether the server and its queue answer",
                "security": [],
                "responses": {
                  "200": {
                    "description": "Healthy",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/Health"
                        }
                      }
                    }
                  },
                  "503": {
                    "$ref": "#/components/responses/Error"
                  }
                }
              }
            },
            "/metrics": {
              "get": {
                "operationId": "metrics",
                "summary": "Prometheus metrics (text exposition format 0.0.4)",
                "security": [],
                "responses": {
                  "200": {
                    "description": "The metrics",
                    "content": {
                      "text/plain": {
                        "schema": {
                          "type": "string"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/openapi.json": {
              "get": {
                "operationId": "openapi",
                "summary": "This document",
                "security": [],
                "responses": {
                  "200": {
                    "description": "The OpenAPI 3.1 document",
                    "content": {
                      "application/json": {
                        "schema": {
                          "type": "object"
                        }
                      }
                    }
                  }
                }
              }
            },
            "/v1/stories": {
              "post": {
                "operationId": "createStory",
                "summary": "Queue a story",
                "parameters": [
                  {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": false,
                    "description": "The same key from the same token returns the story it made first.",
                    "schema": {
                      "type": "string",
                      "minLength": 1,
                      "maxLength": 200
                    }
                  }
                ],
                "requestBody": {
                  "required": true,
                  "content": {
                    "application/json": {
                      "schema": {
                        "$ref": "#/components/schemas/CreateStoryRequest"
                      }
                    }
                  }
                },
                "responses": {
                  "202": {
                    "description": "Queued (or the story of the same Idempotency-Key)",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/StoryCreated"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/Error"
                  },
                  "401": {
                    "$ref": "#/components/responses/Error"
                  },
                  "413": {
                    "$ref": "#/components/responses/Error"
                  },
                  "415": {
                    "$ref": "#/components/responses/Error"
                  },
                  "429": {
                    "$ref": "#/components/responses/Error"
                  },
                  "503": {
                    "$ref": "#/components/responses/Error"
                  }
                }
              },
              "get": {
                "operationId": "listStories",
                "summary": "The caller's stories, newest first, a page at a time",
                "parameters": [
                  {
                    "name": "status",
                    "in": "query",
                    "required": false,
                    "schema": {
                      "$ref": "#/components/schemas/State"
                    }
                  },
                  {
                    "name": "cursor",
                    "in": "query",
                    "required": false,
                    "description": "next_cursor of the previous page",
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "name": "limit",
                    "in": "query",
                    "required": false,
                    "schema": {
                      "type": "integer",
                      "minimum": 1,
                      "maximum": 100,
                      "default": 20
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "A page",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/StoryPage"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/Error"
                  },
                  "401": {
                    "$ref": "#/components/responses/Error"
                  },
                  "429": {
                    "$ref": "#/components/responses/Error"
                  },
                  "503": {
                    "$ref": "#/components/responses/Error"
                  }
                }
              }
            },
            "/v1/stories/{id}": {
              "parameters": [
                {
                  "$ref": "#/components/parameters/StoryID"
                }
              ],
              "get": {
                "operationId": "getStory",
                "summary": "Where a story stands",
                "responses": {
                  "200": {
                    "description": "The story",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/StoryStatus"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/Error"
                  },
                  "401": {
                    "$ref": "#/components/responses/Error"
                  },
                  "404": {
                    "$ref": "#/components/responses/Error"
                  },
                  "429": {
                    "$ref": "#/components/responses/Error"
                  },
                  "503": {
                    "$ref": "#/components/responses/Error"
                  }
                }
              },
              "delete": {
                "operationId": "cancelStory",
                "summary": "Cancel a story",
                "responses": {
                  "200": {
                    "description": "The story as it now stands",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/StoryStatus"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/Error"
                  },
                  "401": {
                    "$ref": "#/components/responses/Error"
                  },
                  "404": {
                    "$ref": "#/components/responses/Error"
                  },
                  "409": {
                    "$ref": "#/components/responses/Error"
                  },
                  "429": {
                    "$ref": "#/components/responses/Error"
                  },
                  "503": {
                    "$ref": "#/components/responses/Error"
                  }
                }
              }
            },
            "/v1/stories/{id}/retry": {
              "parameters": [
                {
                  "$ref": "#/components/parameters/StoryID"
                }
              ],
              "post": {
                "operationId": "retryStory",
                "summary": "Run a failed or cancelled story again from its last checkpoint",
                "responses": {
                  "202": {
                    "description": "Queued again",
                    "content": {
                      "application/json": {
                        "schema": {
                          "$ref": "#/components/schemas/StoryStatus"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/Error"
                  },
                  "401": {
                    "$ref": "#/components/responses/Error"
                  },
                  "404": {
                    "$ref": "#/components/responses/Error"
                  },
                  "409": {
                    "$ref": "#/components/responses/Error"
                  },
                  "429": {
                    "$ref": "#/components/responses/Error"
                  },
                  "503": {
                    "$ref": "#/components/responses/Error"
                  }
                }
              }
            },
            "/v1/stories/{id}/events": {
              "parameters": [
                {
                  "$ref": "#/components/parameters/StoryID"
                }
              ],
              "get": {
                "operationId": "storyEvents",
                "summary": "The story's progress as Server-Sent Events, ending with its final state",
                "description": "Each event has `id:` (increasing), `event:` (`progress` or `done`) and `data:` (a StoryStatus as JSON). Send the last id seen as Last-Event-ID to resume without repeats.",
                "parameters": [
                  {
                    "name": "Last-Event-ID",
                    "in": "header",
                    "required": false,
                    "schema": {
                      "type": "string",
                      "pattern": "^[0-9]{1,18}$"
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The event stream",
                    "content": {
                      "text/event-stream": {
                        "schema": {
                          "$ref": "#/components/schemas/StoryServerSentEvent"
                        }
                      }
                    }
                  },
                  "400": {
                    "$ref": "#/components/responses/Error"
                  },
                  "401": {
                    "$ref": "#/components/responses/Error"
                  },
                  "404": {
                    "$ref": "#/components/responses/Error"
                  },
                  "429": {
                    "$ref": "#/components/responses/Error"
                  },
                  "503": {
                    "$ref": "#/components/responses/Error"
                  }
                }
              }
            },
            "/v1/stories/{id}/files/{name}": {
              "parameters": [
                {
                  "$ref": "#/components/parameters/StoryID"
                },
                {
                  "name": "name",
                  "in": "path",
                  "required": true,
                  "description": "A file name of the story's manifest",
                  "schema": {
                    "type": "string"
                  }
                }
              ],
              "get": {
                "operationId": "getStoryFile",
                "summary": "An exported file, with Range and ETag",
                "parameters": [
                  {
                    "name": "Range",
                    "in": "header",
                    "required": false,
                    "schema": {
                      "type": "string"
                    }
                  },
                  {
                    "name": "If-None-Match",
                    "in": "header",
                    "required": false,
                    "schema": {
                      "type": "string"
                    }
                  }
                ],
                "responses": {
                  "200": {
                    "description": "The file",
                    "headers": {
                      "ETag": {
                        "schema": {
                          "type": "string"
                        }
                      },
                      "Accept-Ranges": {
                        "schema": {
                          "type": "string"
                        }
                      }
                    },
                    "content": {
                      "*/*": {
                        "schema": {
                          "type": "string",
                          "format": "binary"
                        }
                      }
                    }
                  },
                  "206": {
                    "description": "The requested range",
                    "headers": {
                      "Content-Range": {
                        "schema": {
                          "type": "string"
                        }
                      }
                    },
                    "content": {
                      "*/*": {
                        "schema": {
                          "type": "string",
                          "format": "binary"
                        }
                      }
                    }
                  },
                  "304": {
                    "description": "Not modified (If-None-Match matched the ETag)"
                  },
                  "400": {
                    "$ref": "#/components/responses/Error"
                  },
                  "401": {
                    "$ref": "#/components/responses/Error"
                  },
                  "404": {
                    "$ref": "#/components/responses/Error"
                  },
                  "416": {
                    "$ref": "#/components/responses/Error"
                  },
                  "429": {
                    "$ref": "#/components/responses/Error"
                  },
                  "503": {
                    "$ref": "#/components/responses/Error"
                  }
                }
              }
            }
          },
          "components": {
            "securitySchemes": {
              "bearer": {
                "type": "http",
                "scheme": "bearer",
                "description": "A token from the server's tokens file"
              }
            },
            "parameters": {
              "StoryID": {
                "name": "id",
                "in": "path",
                "required": true,
                "schema": {
                  "type": "string"
                }
              }
            },
            "responses": {
              "Error": {
                "description": "An error",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Error"
                    }
                  }
                }
              }
            },
            "schemas": {
              "Health": {
                "type": "object",
                "required": [
                  "status"
                ],
                "properties": {
                  "status": {
                    "type": "string"
                  }
                }
              },
              "State": {
                "type": "string",
                "enum": [
                  "queued",
                  "running",
                  "succeeded",
                  "failed",
                  "cancelled"
                ]
              },
              "CreateStoryRequest": {
                "type": "object",
                "additionalProperties": false,
                "required": [
                  "topic"
                ],
                "properties": {
                  "topic": {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 500
                  },
                  "seed": {
                    "type": "integer"
                  },
                  "target_seconds": {
                    "type": "number"
                  },
                  "aspect": {
                    "type": "string",
                    "enum": [
                      "9:16",
                      "16:9",
                      "1:1",
                      "4:5"
                    ]
                  },
                  "voice": {
                    "type": "string"
                  },
                  "language": {
                    "type": "string"
                  },
                  "config": {
                    "type": "object"
                  },
                  "webhook_url": {
                    "type": "string",
                    "format": "uri"
                  }
                }
              },
              "StoryCreated": {
                "type": "object",
                "required": [
                  "id",
                  "status_url",
                  "events_url"
                ],
                "properties": {
                  "id": {
                    "type": "string"
                  },
                  "status_url": {
                    "type": "string"
                  },
                  "events_url": {
                    "type": "string"
                  }
                }
              },
              "Failure": {
                "type": "object",
                "required": [
                  "code",
                  "message"
                ],
                "properties": {
                  "code": {
                    "type": "string"
                  },
                  "message": {
                    "type": "string"
                  }
                }
              },
              "File": {
                "type": "object",
                "required": [
                  "name",
                  "size",
                  "sha256",
                  "content_type",
                  "url"
                ],
                "properties": {
                  "name": {
                    "type": "string"
                  },
                  "size": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "sha256": {
                    "type": "string"
                  },
                  "content_type": {
                    "type": "string"
                  },
                  "url": {
                    "type": "string"
                  }
                }
              },
              "StoryStatus": {
                "type": "object",
                "required": [
                  "id",
                  "status",
                  "topic",
                  "fraction",
                  "attempt",
                  "created_at",
                  "files"
                ],
                "properties": {
                  "id": {
                    "type": "string"
                  },
                  "status": {
                    "$ref": "#/components/schemas/State"
                  },
                  "topic": {
                    "type": "string"
                  },
                  "title": {
                    "type": [
                      "string",
                      "null"
                    ]
                  },
                  "stage": {
                    "type": [
                      "string",
                      "null"
                    ]
                  },
                  "fraction": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1
                  },
                  "attempt": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "created_at": {
                    "type": "string",
                    "format": "date-time"
                  },
                  "started_at": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "format": "date-time"
                  },
                  "finished_at": {
                    "type": [
                      "string",
                      "null"
                    ],
                    "format": "date-time"
                  },
                  "error": {
                    "oneOf": [
                      {
                        "$ref": "#/components/schemas/Failure"
                      },
                      {
                        "type": "null"
                      }
                    ]
                  },
                  "files": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/File"
                    }
                  },
                  "cost_usd": {
                    "type": [
                      "number",
                      "null"
                    ]
                  }
                }
              },
              "StoryPage": {
                "type": "object",
                "required": [
                  "stories"
                ],
                "properties": {
                  "stories": {
                    "type": "array",
                    "items": {
                      "$ref": "#/components/schemas/StoryStatus"
                    }
                  },
                  "next_cursor": {
                    "type": [
                      "string",
                      "null"
                    ]
                  }
                }
              },
              "Error": {
                "type": "object",
                "required": [
                  "error"
                ],
                "properties": {
                  "error": {
                    "type": "object",
                    "required": [
                      "code",
                      "message"
                    ],
                    "properties": {
                      "code": {
                        "type": "string",
                        "enum": [
                          "invalid_request",
                          "unauthorized",
                          "not_found",
                          "conflict",
                          "payload_too_large",
                          "unsupported_media_type",
                          "range_not_satisfiable",
                          "rate_limited",
                          "unavailable",
                          "internal"
                        ]
                      },
                      "message": {
                        "type": "string"
                      }
                    }
                  }
                }
              },
              "StoryServerSentEvent": {
                "description": "One event of the stream: `id` increases, `event` is progress or done, `data` is a StoryStatus as JSON; the first block carries only `retry` (milliseconds).",
                "type": "object",
                "properties": {
                  "id": {
                    "type": "string",
                    "pattern": "^[0-9]+$"
                  },
                  "event": {
                    "type": "string",
                    "enum": [
                      "progress",
                      "done"
                    ]
                  },
                  "data": {
                    "type": "string",
                    "contentMediaType": "application/json",
                    "contentSchema": {
                      "$ref": "#/components/schemas/StoryStatus"
                    }
                  },
                  "retry": {
                    "type": "integer",
                    "minimum": 0
                  }
                }
              }
            }
          }
        }
        """#

    /// Adds `GET <path>` serving ``json`` to the router.
    public static func addRoutes<Context: RequestContext>(
        to router: Router<Context>, path: RouterPath = "/openapi.json"
    ) {
        router.get(path) { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
        }
    }
}
