#!/usr/bin/python
# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: backoffice_probe
author:
  - printops team
short_description: Test the back-office connection as the ORS account of a lab host (internal)
description:
  - Internal target-side probe of this collection, used by its action plugins for B(Test connection)
    (C(test_connection) of C(ors_account), and C(remote_service_info)). Playbooks normally do
    not call it.
  - This is the B(lab platform) probe, a Python module run on a Linux stand-in host.
  - It does what Print ORS Service would do, B(as the ORS account). Started as root, it forks a child
    process that takes the identity of O(user) (its groups, group and user ids). The child reads the
    settings store document O(settings_path) as that user, which proves that the account can read
    it. It then sends C(GET <url>/v1/ping) with the document's organization ID and verification code
    as HTTP Basic credentials, through the proxy the document configures.
  - "Proxies: C(proxy.mode=manual) tunnels through C(proxy.url) (C(host:port)) with C(CONNECT), with
    Basic proxy authentication when C(proxy.username) is set (C(DOMAIN\\user) when C(proxy.domain) is set);
    C(auto_detect) uses the C(https_proxy)/C(no_proxy) environment of the probe; C(none) connects directly."
  - Read-only; C(changed) is always V(false) and it runs the same in check mode.
  - The verification code and the proxy password never appear in the result, not even in RV(error).
version_added: 0.1.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Read-only; it runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  settings_path:
    description:
      - Path of the settings store document (JSON, schema 1) to read as O(user).
    type: path
    required: true
  user:
    description:
      - The lab user name of the ORS account to act as.
      - Acting as another user needs root (C(become)); the module fails otherwise.
    type: str
    required: true
  url:
    description:
      - Root URL of the Remote Service back office, for example V(https://backoffice.example.com/rs).
      - Must use C(https://) and must not contain a user name or password.
    type: str
    required: true
  ca_path:
    description:
      - PEM bundle of the CA certificate(s) that signed the back office's certificate (a proxy that
        inspects TLS needs its own CA here). Without it the system trust store is used.
      - Read by the module before it takes the ORS account's identity.
    type: path
  timeout:
    description:
      - Seconds to wait for each network step (connect, proxy tunnel, answer).
    type: float
    default: 10
notes:
  - The probe sends one request and never retries.
seealso:
  - module: printops.prismadirect.host_state
  - module: printops.prismadirect.settings_store
"""

EXAMPLES = r"""
- name: Test the connection as the ORS account
  printops.prismadirect.backoffice_probe:
    settings_path: /srv/printops-lab/hosts/prisma1/ProgramData/PRISMAdirect/remote-service.json
    user: svc_ors_p1
    url: "{{ prismadirect_backoffice_url }}"
    ca_path: "{{ prismadirect_backoffice_ca_path }}"
  register: probe

- name: The light
  ansible.builtin.debug:
    msg: "{{ 'green' if probe.ok else 'orange: ' ~ probe.error }}"
"""

RETURN = r"""
ok:
  description:
    - Whether the back office answered HTTP 200 and the credentials were valid (C(authenticated) V(true)).
  returned: always
  type: bool
status:
  description: HTTP status of the answer, V(null) when there was none.
  returned: always
  type: int
  sample: 200
authenticated:
  description:
    - The ping answer's C(authenticated), V(true) or V(false). V(null) when there was no answer, or no
      credentials were sent because the settings lack them.
  returned: always
  type: bool
elapsed_ms:
  description:
    - Milliseconds from the start of the connection to the end of the answer (V(null) without a request).
  returned: always
  type: int
  sample: 42
error:
  description:
    - Why the test failed (V(null) when RV(ok) is V(true)), saying what to fix. Never contains the
      verification code or the proxy password.
  returned: always
  type: str
  sample: "the back office did not accept the organization ID and verification code (authenticated: false)"
user:
  description: The user the probe ran as (O(user)).
  returned: always
  type: str
  sample: svc_ors_p1
proxy_mode:
  description: The settings' C(proxy.mode) (V(null) when the settings could not be read).
  returned: always
  type: str
  sample: manual
proxy:
  description: C(host:port) of the proxy used, V(null) for a direct connection.
  returned: always
  type: str
  sample: proxy.example.com:8080
"""

import base64
import contextlib
import http.client
import json
import os
import pwd
import select
import signal
import socket
import ssl
import time
import urllib.parse
import urllib.request

from ansible.module_utils.basic import AnsibleModule

#: Keep in step with galaxy.yml (the contract asks for printops-prismadirect/<version>).
VERSION = "0.1.0"
USER_AGENT = f"printops-prismadirect/{VERSION}"
REDACTED = "********"


class ProbeError(Exception):
    """A problem with the options, found before any request; the module fails with it."""


class Redactor:
    """Replaces every form of the known secrets in a text by ``********``."""

    def __init__(self):
        self._forms = set()

    def add(self, secret, user=None):
        if not secret:
            return
        forms = {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret)}
        if user is not None:
            forms.add(base64.b64encode((f"{user}:{secret}").encode()).decode("ascii"))
        self._forms |= {form for form in forms if form}

    def __call__(self, text):
        if text is None:
            return None
        for form in sorted(self._forms, key=len, reverse=True):
            text = text.replace(form, REDACTED)
        return text


# --------------------------------------------------------------------------------------------------
# Options and settings (pure)


def parse_url(url):
    """``(host, port, path prefix)`` of the back office's https root URL; ``ProbeError`` otherwise."""
    example = "give the back office's root URL, for example https://backoffice.example.com/rs"
    text = (url or "").strip()
    try:
        parts = urllib.parse.urlsplit(text)
        port = parts.port
    except ValueError:
        raise ProbeError(f"url: not a valid URL: {example}") from None
    if parts.username is not None or parts.password is not None:
        raise ProbeError("url: must not contain a user name or password (they come from the settings)")
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise ProbeError(f"url: {text!r} is not an https:// URL: {example}")
    if parts.query or parts.fragment:
        raise ProbeError(f"url: {text!r} must not have a query or fragment: {example}")
    return parts.hostname, port or 443, parts.path.rstrip("/")


def parse_proxy(text):
    """``(host, port)`` of ``host:port``, ``[ipv6]:port`` or ``http://host:port``; ``None`` if invalid."""
    value = (text or "").strip()
    if value.lower().startswith("http://"):
        value = value[7:].rstrip("/")
    if not value or "/" in value or "@" in value:
        return None
    try:
        parts = urllib.parse.urlsplit("//" + value)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or port is None or not 1 <= port <= 65535:
        return None
    return parts.hostname, port


def _authority(host, port):
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def read_settings(path):
    """The settings document at ``path``, read as the current user; ``ValueError`` (a message) otherwise."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError:
        raise ValueError(
            f"the settings document {path} does not exist: configure Remote Service first"
        ) from None
    except PermissionError:
        raise ValueError(
            f"the ORS account cannot read the settings document {path} (permission denied): it must be "
            "readable by the account's group (mode 0640, group = the account's group) in folders it may enter"
        ) from None
    except OSError as exc:
        raise ValueError(f"cannot read the settings document {path}: {exc.strerror or exc}") from None
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValueError(f"the settings document {path} is not valid JSON") from None
    if not isinstance(document, dict) or document.get("schema") != 1:
        raise ValueError(f"the settings document {path} is not a schema 1 settings document")
    return document


def _get(document, section, name):
    value = document.get(section)
    value = value.get(name) if isinstance(value, dict) else None
    return value if isinstance(value, str) and value != "" else None


def proxy_from_settings(document, target_host, redact):
    """``(mode, proxy or None, error or None)``; a proxy is ``{"host", "port", "authorization"}``."""
    mode = document.get("proxy", {}).get("mode") if isinstance(document.get("proxy"), dict) else None
    mode = mode or "none"
    if mode == "none":
        return mode, None, None
    if mode == "manual":
        url = _get(document, "proxy", "url")
        parsed = parse_proxy(url)
        if parsed is None:
            why = "is not set" if url is None else f"is not host:port ({url!r})"
            return mode, None, f"proxy.mode is manual but proxy.url {why}: expected proxy.example.com:8080"
        username = _get(document, "proxy", "username")
        password = _get(document, "proxy", "password")
        domain = _get(document, "proxy", "domain")
        authorization = None
        if username is not None:
            user = f"{domain}\\{username}" if domain else username
            redact.add(password, user)
            authorization = "Basic " + base64.b64encode(f"{user}:{password or ''}".encode()).decode("ascii")
        return mode, {"host": parsed[0], "port": parsed[1], "authorization": authorization}, None
    if mode == "auto_detect":
        raw = urllib.request.getproxies().get("https")
        if not raw or urllib.request.proxy_bypass(target_host):
            return mode, None, None
        parts = urllib.parse.urlsplit(raw if "://" in raw else "http://" + raw)
        try:
            port = parts.port or 80
        except ValueError:
            port = 0
        if parts.password:
            redact.add(parts.password)
            redact.add(urllib.parse.unquote(parts.password))
        if parts.scheme.lower() != "http" or not parts.hostname or not 1 <= port <= 65535:
            return mode, None, "the https_proxy environment variable is not an http://host:port proxy"
        authorization = None
        if parts.username is not None:
            user = urllib.parse.unquote(parts.username)
            password = urllib.parse.unquote(parts.password or "")
            redact.add(password, user)
            authorization = "Basic " + base64.b64encode((f"{user}:{password}").encode()).decode()
        return mode, {"host": parts.hostname, "port": port, "authorization": authorization}, None
    return mode, None, f"proxy.mode {mode!r} is not none, auto_detect or manual"


# --------------------------------------------------------------------------------------------------
# The request


def _connection(host, port, context, timeout, proxy):
    if proxy is None:
        return http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    conn = http.client.HTTPSConnection(proxy["host"], proxy["port"], timeout=timeout, context=context)
    headers = {"User-Agent": USER_AGENT}
    if proxy["authorization"]:
        headers["Proxy-Authorization"] = proxy["authorization"]
    conn.set_tunnel(host, port, headers=headers)
    return conn


def _transport_error(exc, target, proxy, timeout):
    hop = f"the proxy {_authority(proxy['host'], proxy['port'])} (for {target})" if proxy else target
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the TLS certificate of {target} could not be verified ({exc.verify_message}): check ca_path"
    if isinstance(exc, ssl.SSLError):
        return f"the TLS handshake with {target} failed ({exc.reason or exc})"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"no answer from {hop} within {timeout:g} seconds"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the host name of {hop} ({exc.strerror}): check the URL, the proxy and DNS"
    if isinstance(exc, http.client.HTTPException):
        return f"{hop} did not answer with HTTP ({type(exc).__name__})"
    text = str(exc)
    if text.startswith("Tunnel connection failed:"):
        detail = text.split(":", 1)[1].strip()
        fix = (
            ": check proxy.username, proxy.domain and proxy.password"
            if detail.startswith(("407", "401"))  # tinyproxy answers 401
            else f": check that the proxy allows CONNECT to {target}"
        )
        return "the proxy {} refused the tunnel to {} ({}){}".format(
            _authority(proxy["host"], proxy["port"]) if proxy else "?",
            target,
            detail,
            fix,
        )
    if isinstance(exc, ConnectionRefusedError):
        return f"{hop} refused the connection: check the URL, the proxy settings and that the service runs"
    return f"cannot reach {hop}: {getattr(exc, 'strerror', None) or exc}"


def probe(settings_path, url, context, timeout):
    """Read the settings as the current user and ping the back office; the result (no secrets in it)."""
    result = {
        "ok": False,
        "status": None,
        "authenticated": None,
        "elapsed_ms": None,
        "error": None,
        "proxy_mode": None,
        "proxy": None,
    }
    redact = Redactor()
    try:
        host, port, prefix = parse_url(url)
        target = _authority(host, port)
        try:
            document = read_settings(settings_path)
        except ValueError as exc:
            result["error"] = str(exc)
            return result
        organization_id = _get(document, "general", "organization_id")
        code = _get(document, "general", "verification_code")
        redact.add(code, organization_id or "")
        redact.add(_get(document, "proxy", "password"))
        mode, proxy, problem = proxy_from_settings(document, host, redact)
        result["proxy_mode"] = mode
        result["proxy"] = _authority(proxy["host"], proxy["port"]) if proxy else None
        if problem:
            result["error"] = problem
            return result
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json", "Connection": "close"}
        if organization_id and code:
            token = base64.b64encode((f"{organization_id}:{code}").encode()).decode("ascii")
            headers["Authorization"] = "Basic " + token
        conn = _connection(host, port, context, timeout, proxy)
        started = time.monotonic()
        try:
            conn.request("GET", prefix + "/v1/ping", headers=headers)
            response = conn.getresponse()
            body = response.read()
            result["status"] = response.status
        except (OSError, http.client.HTTPException) as exc:
            result["error"] = _transport_error(exc, target, proxy, timeout)
            return result
        finally:
            result["elapsed_ms"] = round((time.monotonic() - started) * 1000)
            conn.close()
        try:
            answer = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            answer = None
        if not isinstance(answer, dict):
            answer = {}
        authenticated = answer.get("authenticated") if "Authorization" in headers else None
        result["authenticated"] = authenticated if isinstance(authenticated, bool) else None
        if result["status"] != 200:
            kind = answer.get("error") if isinstance(answer.get("error"), str) else ""
            message = answer.get("message") if isinstance(answer.get("message"), str) else ""
            result["error"] = f"the back office answered HTTP {result['status']} {kind}".rstrip() + (
                f": {message}" if message else ""
            )
        elif "Authorization" not in headers:
            missing = [
                key
                for key, value in (
                    ("general.organization_id", organization_id),
                    ("general.verification_code", code),
                )
                if not value
            ]
            result["error"] = (
                "the back office is reachable but the settings lack {}: set the Service organization ID and "
                "the Verification code".format(" and ".join(missing))
            )
        elif result["authenticated"] is not True:
            result["error"] = (
                "the back office did not accept the organization ID and verification code "
                "(authenticated: {}): check them".format(json.dumps(result["authenticated"]))
            )
        else:
            result["ok"] = True
        return result
    except Exception as exc:  # the probe reports, it does not crash; redacted below
        result["error"] = f"the probe failed: {type(exc).__name__}: {exc}"
        return result
    finally:
        result["error"] = redact(result["error"])


# --------------------------------------------------------------------------------------------------
# Running as the ORS account


def _drop_privileges(user):
    os.initgroups(user.pw_name, user.pw_gid)
    os.setgid(user.pw_gid)
    os.setuid(user.pw_uid)
    os.environ.update({"HOME": user.pw_dir, "USER": user.pw_name, "LOGNAME": user.pw_name})


def _exit_text(wait_status):
    if os.WIFSIGNALED(wait_status):
        return f"killed by signal {os.WTERMSIG(wait_status)}"
    return f"exit status {os.WEXITSTATUS(wait_status)}"


def run_as(user_name, func, deadline_seconds):
    """Run ``func()`` (returns a JSON-able dict) in a child process that is ``user_name``; its result.

    Needs root unless the current user already is ``user_name``. ``ProbeError`` for a bad user.
    """
    try:
        user = pwd.getpwnam(user_name)
    except KeyError:
        raise ProbeError(f"user: no user {user_name!r} on this host: create the ORS account first") from None
    if os.geteuid() not in (0, user.pw_uid):
        raise ProbeError(f"user: acting as {user_name} needs root: run the task with become")
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns
        status = 1
        try:
            os.close(read_fd)
            if os.geteuid() != user.pw_uid:
                _drop_privileges(user)
            data = json.dumps(func()).encode("utf-8")
            with os.fdopen(write_fd, "wb") as out:
                out.write(data)
            status = 0
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.write(write_fd, json.dumps({"_crash": type(exc).__name__}).encode("utf-8"))
        finally:
            os._exit(status)
    os.close(write_fd)
    chunks, deadline, timed_out = [], time.monotonic() + deadline_seconds, False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out = True
                break
            ready, _, _ = select.select([read_fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(read_fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(read_fd)
        if timed_out:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _, wait_status = os.waitpid(pid, 0)
    if timed_out:
        return {"error": f"the probe as {user_name} did not finish within {deadline_seconds:g} seconds"}
    try:
        answer = json.loads(b"".join(chunks).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        answer = None
    if not isinstance(answer, dict) or "_crash" in answer:
        crash = answer.get("_crash") if isinstance(answer, dict) else None
        return {"error": f"the probe process as {user_name} failed ({crash or _exit_text(wait_status)})"}
    return answer


def backoffice_probe(settings_path, user, url, ca_path=None, timeout=10.0):
    """The module's result (without ``changed``): the probe made as ``user`` in a child process."""
    if timeout is None or timeout <= 0:
        raise ProbeError("timeout: must be a positive number of seconds")
    parse_url(url)
    try:
        context = ssl.create_default_context(cafile=ca_path) if ca_path else ssl.create_default_context()
    except (OSError, ssl.SSLError) as exc:
        raise ProbeError(f"ca_path: cannot load {ca_path} as a PEM CA bundle ({exc})") from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    base = {
        "ok": False,
        "status": None,
        "authenticated": None,
        "elapsed_ms": None,
        "error": None,
        "proxy_mode": None,
        "proxy": None,
    }
    answer = run_as(user, lambda: probe(settings_path, url, context, timeout), timeout * 3 + 5)
    base.update({key: answer[key] for key in base if key in answer})
    base["ok"] = base["ok"] is True and base["error"] is None
    base["user"] = user
    return base


def main():
    module = AnsibleModule(
        argument_spec={
            "settings_path": {"type": "path", "required": True},
            "user": {"type": "str", "required": True},
            "url": {"type": "str", "required": True},
            "ca_path": {"type": "path"},
            "timeout": {"type": "float", "default": 10},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        result = backoffice_probe(
            params["settings_path"], params["user"], params["url"], params["ca_path"], params["timeout"]
        )
    except ProbeError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
