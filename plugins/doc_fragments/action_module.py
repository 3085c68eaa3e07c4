# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every custom module of the collection shares (DESIGN §2): they are action plugins that read the
host in one round trip, plan on the controller and apply with standard modules.

``DOCUMENTATION`` holds their attributes; ``CONNECTION_TEST`` the options of the modules that test the
back-office connection as the ORS account (``ors_account``, ``remote_service_info``).
"""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  action:
    support: full
    details: The logic runs on the controller; the host is read once and changed with standard modules.
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Reads the host and plans; nothing is applied, and C(changed) says whether it would change.
  diff_mode:
    support: full
    details: Before and after of what the module manages; secrets appear only as C((secret changed)),
      C((secret set)), C((secret unchanged)) or C((not set)).
  platform:
    platforms: posix
    details:
      - The lab platform (Linux stand-ins of the Windows hosts, see C(lab/README.md)), chosen for every
        connection that does not use a PowerShell shell.
      - Windows hosts (WinRM/PSRP, or SSH with PowerShell) arrive with a later release; until then such a
        host fails the task with a message that says so.
notes:
  - "Errors in the options, and domain rules that need no host (account forms, C(host:port), paths), fail
    the task before anything is read from or changed on the host, with a message C(<option>: <what and
    the fix>)."
  - Secret options are C(no_log). Their values, and anything derived from them, never appear in results,
    diffs, warnings or messages, at any verbosity.
"""

    CONNECTION_TEST = r"""
options:
  backoffice_url:
    description:
      - Root URL of the Remote Service back office for the connection test, for example
        V(https://backoffice.example.com/rs). HTTPS only.
      - Defaults to the variable C(prismadirect_backoffice_url) (the lab inventory sets it).
      - Used only when a connection test is asked for, and then required (here or as the variable).
    type: str
  backoffice_ca_path:
    description:
      - PEM bundle, on the managed host, of the CA certificate(s) that signed the back office's
        certificate (a proxy that inspects TLS needs its own CA here). Without it the host's trust store
        is used.
      - Defaults to the variable C(prismadirect_backoffice_ca_path).
    type: path
"""
