#!/usr/bin/python
# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the module is the action plugin plugins/action/license_share.py.

from __future__ import annotations

DOCUMENTATION = r"""
module: license_share
author:
  - printops team
short_description: Share the license folder of a Floating License Server with the ORS accounts
description:
  - Shares the license folder of a Floating License Server (FLS) so that the Remote Service of each
    PRISMAdirect host that uses it can write new licenses there (procedure A, step 4, external license
    server), and returns the folder's SMB path for the PRISMAdirect hosts' C(license_path).
  - Each account in O(accounts) gets exactly B(Modify) (read, write, create, delete; no permission or
    ownership change) on the folder, inherited by its files and subfolders, and B(Change) on the share.
    Its other explicit rules (weaker, stronger, deny, not inherited) are replaced.
  - The administrators keep (or get) full control. Everyone, Users, Authenticated Users and the like are
    never granted; on the share they are removed. Inherited rules are never changed, only reported
    (RV(inherited_rules)), with a warning when they give everybody access or an account more than Modify.
  - "Lab platform: the folder is a directory under the host root with POSIX ACLs (owner root; the account
    C(user:<name>:rwx) with the same default entry, applied to what is in the folder too); the share is
    the section C([<host>-<name>]) of the lab smbd (one C(smbd) serves every lab host, so
    V(\\\\fls1\\licenses) is C([fls1-licenses]) on C(127.0.0.1:1445)) with C(valid users) the accounts;
    the accounts' Samba passwords are set from O(accounts[].password) in the lab passdb. See
    C(lab/README.md)."
version_added: 0.1.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
  - printops.prismadirect.action_module
options:
  path:
    description:
      - The license folder on the FLS computer itself, for example V(C:\\ProgramData\\FlexNet\\licenses).
        It is made when missing.
      - On the lab platform a path under the host root (which stands in for its C(C:\\) drive), for
        example V(/licenses).
      - Shared folders (V(\\\\host\\share)), relative paths and C(..) components are refused.
    type: str
    required: true
  name:
    description:
      - The share name. A name ending in C($) is a hidden share. Administrative shares (C(C$), C(ADMIN$),
        C(IPC$)) are refused.
    type: str
    required: true
  accounts:
    description:
      - The Remote Service credentials account(s) of the PRISMAdirect hosts that use this FLS, in the
        forms C(DOMAIN\\user), C(.\\user), C(user@domain.tld) or C(user).
      - Each item is a dictionary with C(name) and C(password), or the account's name alone.
      - Administrators' and everybody's identities (Everyone, Users, SIDs of either) are refused.
      - Each account must exist on the FLS - for an external FLS a domain account the FLS knows. An
        account it does not know fails the task after the read, before anything is changed, naming it.
        In check mode it is a warning instead and the grant is shown as it would be made - a dry run
        has not created the accounts an earlier step would create.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description:
          - The account.
        type: str
        required: true
      password:
        description:
          - The account's password, used only where the host keeps its own share passwords (the lab's
            Samba passdb). It is set when the account has no share password or a different one, so a
            second run changes nothing. Never logged, returned or shown (C((secret changed))).
          - Without it an account that has no share password yet gets a warning.
          - Not used on Windows, where the account's own password is the share password.
        type: str
  exclusive:
    description:
      - Also remove every other explicit non-administrator grant of the folder and the share. Deny rules
        are always kept.
      - With V(false), other grants are kept; an explicit everybody grant on the folder gives a warning.
    type: bool
    default: false
  description:
    description:
      - The share's description (comment). Without it an existing share's description is kept.
    type: str
notes:
  - On the lab the administrators are C(root), owner of the folder. A folder owned by another user is
    given to C(root) when the administrators' full control has to be restored.
seealso:
  - module: printops.prismadirect.floating_license
  - module: printops.prismadirect.remote_service
"""

EXAMPLES = r"""
- name: Share the license folder with the ORS accounts of the PRISMAdirect hosts that use this FLS
  printops.prismadirect.license_share:
    path: C:\ProgramData\FlexNet\licenses
    name: licenses
    accounts:
      - CORP\svc_ors_p1
      - CORP\svc_ors_p2
    description: PRISMAdirect licenses
  register: share

- name: Say where the PRISMAdirect hosts find their licenses (remote_service license_path)
  ansible.builtin.debug:
    msg: "license_server: external, license_path: {{ share.smb_path }}"

- name: Lab FLS, with the accounts' share passwords and nothing else allowed
  printops.prismadirect.license_share:
    path: /licenses
    name: licenses
    accounts:
      - name: .\svc_ors_p1
        password: "{{ vault_remote_service_ors_password_prisma1 }}"
    exclusive: true
"""

RETURN = r"""
smb_path:
  description: The shared folder as the PRISMAdirect hosts reach it, C(\\<inventory_hostname>\<name>).
  returned: always
  type: str
  sample: \\fls1\licenses
share:
  description: The share name (O(name)).
  returned: always
  type: str
  sample: licenses
path:
  description: The license folder (O(path), normalised).
  returned: always
  type: str
  sample: C:\ProgramData\FlexNet\licenses
accounts:
  description: The accounts granted, as qualified names.
  returned: always
  type: list
  elements: str
  sample: [CORP\svc_ors_p1]
exclusive:
  description: O(exclusive).
  returned: always
  type: bool
  sample: false
granted:
  description: The folder rules that were (or in check mode would be) added, one line each.
  returned: always
  type: list
  elements: str
  sample: [allow CORP\svc_ors_p1 modify (files, folders)]
revoked:
  description: The explicit folder rules that were (or would be) removed, one line each.
  returned: always
  type: list
  elements: str
  sample: [allow CORP\svc_ors_p1 read (files, folders)]
inherited_rules:
  description:
    - The folder's inherited rules (from its parent), never changed here. Always empty on the lab, where
      nothing is inherited live.
  returned: always
  type: list
  elements: dict
  sample:
    - {identity: BUILTIN\Users, id: S-1-5-32-545, rights: read, type: allow, inherit_files: true,
       inherit_folders: true, inherited: true, raw: null}
"""
