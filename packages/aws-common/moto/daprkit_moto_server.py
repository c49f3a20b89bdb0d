"""moto's server (moto_server) with one change: DynamoDB requests run one at a time.

moto's server is threaded, and its DynamoDB backend checks a ConditionExpression and then writes without a lock,
so two concurrent conditional writes on one item can both succeed (a lost update that real DynamoDB never allows).
daprkit's state store relies on conditional writes for ETags, so DynamoDB calls are serialised here; every other
service (notably SQS long polls, which block their thread) stays concurrent. Arguments are moto_server's.
"""

import sys
import threading

from moto.moto_server import werkzeug_app
from moto.server import main

_SERIAL_BACKENDS = {"dynamodb"}
_lock = threading.Lock()


def _call(self, environ, start_response):
    app = self.get_application(environ)
    if any(self.app_instances.get(name) is app for name in _SERIAL_BACKENDS):
        with _lock:
            response = app(environ, start_response)
            # Flask has already run the handler; materialise the body inside the lock too.
            return [b"".join(response)]
    return app(environ, start_response)


werkzeug_app.DomainDispatcherApplication.__call__ = _call

if __name__ == "__main__":
    main(sys.argv[1:])
