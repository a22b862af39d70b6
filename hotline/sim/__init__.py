"""The phone network in a box: callers that behave as Twilio does toward the app."""
