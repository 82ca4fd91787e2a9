"""DynamoDB and DynamoDB Streams requests handed straight to moto's handlers.

moto's server finds each request's service from its headers, then runs it through a
Flask application per service: a request context, URL routing, the CORS extension,
response finalisation. py-spy on the emulator at 100 webhooks a second put a fifth of its
time there, around the handler that does the work. Both DynamoDB APIs are one POST to
`/` named by its X-Amz-Target header, so this module calls their handler itself, exactly
as moto's view function (`moto.core.utils.convert_to_flask_response`) does, and answers
with the same Flask response and the CORS header moto's application adds; every other
request (Secrets Manager, moto's own API) goes through moto's dispatcher as before.
test_direct_dispatch.py compares the two ways. One difference is left: an HTTP error
werkzeug raises while moto reads the request (before its own error handling) is a 500
from the emulator's server here, where Flask would have answered it with its status.
"""

from botocore.exceptions import ClientError
from flask import Response
from moto.core.request import normalize_request
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.moto_api import recorder
from moto.moto_server.werkzeug_app import BackendRequest

# What moto's Flask application adds to every answer (flask-cors' defaults, no Origin
# needed): kept, so that an answer is the same whichever way it was served.
CORS = {"Access-Control-Allow-Origin": "*"}
# X-Amz-Target prefix -> the handler moto's URL map routes `/` to for that service.
HANDLERS = {
    "DynamoDB_20120810.": DynamoHandler.dispatch,
    "DynamoDBStreams_20120810.": DynamoDBStreamsHandler.dispatch,
}


def handler_for(environ: dict):
    """The handler for this request, or None if moto's dispatcher should have it."""
    if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO", "") not in ("", "/"):
        return None
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    return next((h for prefix, h in HANDLERS.items() if target.startswith(prefix)), None)


class DirectDispatch:
    """WSGI: DynamoDB's requests to their handler, the rest to `app` (moto's dispatcher)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        handler = handler_for(environ)
        if handler is None:
            return self.app(environ, start_response)
        # What convert_to_flask_response does with Flask's request, on our own.
        request = normalize_request(BackendRequest(environ))
        recorder._record_request(request)
        try:
            result = handler(request, request.raw_url, dict(request.headers))
        except ClientError as exc:
            result = 400, {}, exc.response["Error"]["Message"]
        status, headers, content = result if len(result) == 3 else (200, {}, result)
        response = Response(response=content, status=status, headers=headers)
        response.headers.update(CORS)
        return response(environ, start_response)
