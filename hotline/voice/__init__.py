"""Twilio voice webhooks: signature check, routes, and pure TwiML builders."""
