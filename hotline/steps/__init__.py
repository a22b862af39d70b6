"""The steps of a call, between the routes that parse and answer and the rules and
stores below: what happens when a caller proves who they are.
"""
