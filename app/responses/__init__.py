"""OpenAI's Responses API: translation to and from chat, and stored responses."""
