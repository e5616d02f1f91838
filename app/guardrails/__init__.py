"""Guardrails on the request path: Presidio, Lakera Guard v2 and keyword rules that mask or
block what a call sends upstream and check what comes back.

``registry`` builds one guard per policy when settings change; ``hook`` is where the
gateway calls in (plan, ``pre_call``, ``post_call``); ``run`` holds one call's checks by
mode; ``stream`` checks streamed answers under the metered stream; ``texts`` finds the text
of each operation; ``assignment`` decides which guardrails a call runs.
"""
