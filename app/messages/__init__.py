"""Anthropic's Messages API served by the gateway: validation, translation to and from
OpenAI chat for providers that do not speak it natively, and its error shape."""
