#!powershell

# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

#AnsibleRequires -CSharpUtil Ansible.Basic

# The Windows reader of the host state (docs/internals.md; win_host_state.yml documents the module). Read-only:
# it returns what Windows reports nearly untouched (names, SIDs, masks, flags as text), and
# plugins/module_utils/windows_state.py makes the host state of it, where it is unit-tested. Secrets of
# the settings store never leave the host: each becomes {set, fingerprint}. One function per section; a
# section that fails is a warning and null (windows_state plans nothing on a null section the planners
# act on); what is absent reads as exists = false.

$sectionChoices = @('service', 'accounts', 'settings', 'licenses', 'mac_addresses', 'teamviewer', 'folder', 'share', 'license_backups', 'license_server')
$spec = @{
    options = @{
        sections = @{ type = 'list'; elements = 'str'; required = $true; choices = $sectionChoices }
        service = @{ type = 'str'; default = 'Print ORS Service' }
        accounts = @{ type = 'list'; elements = 'dict'; default = @(); options = @{ name = @{ type = 'str'; required = $true } } }
        settings_path = @{ type = 'str'; default = 'C:\ProgramData\PRISMAdirect\remote-service.json' }
        license_path = @{ type = 'str' }
        folder_path = @{ type = 'str' }
        share_name = @{ type = 'str' }
        lmutil_path = @{ type = 'str'; default = 'C:\Program Files\Flexera\lmutil.exe' }
        license_service = @{ type = 'str' }
        license_name = @{ type = 'str' }
    }
    supports_check_mode = $true
}
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$sections = @($module.Params.sections)
$TextLimit = 256KB

# --- identities: names <-> SIDs --------------------------------------------------------------------
function Resolve-Sid([string]$Name) {
    # "LocalSystem" is how services name SYSTEM; ".\user" is a local account; a SID stays a SID.
    if (-not $Name) { return $null }
    if ($Name -eq 'LocalSystem') { return 'S-1-5-18' }
    if ($Name.StartsWith('.\')) { $Name = "$env:COMPUTERNAME\$($Name.Substring(2))" }
    try {
        if ($Name -match '^S-1-\d') { return ([System.Security.Principal.SecurityIdentifier]$Name).Value }
        return ([System.Security.Principal.NTAccount]$Name).Translate([System.Security.Principal.SecurityIdentifier]).Value
    }
    catch { return $null }  # a malformed SID, or IdentityNotMappedException: no such account
}

function Get-AccountName([string]$Sid) {
    try { return ([System.Security.Principal.SecurityIdentifier]$Sid).Translate([System.Security.Principal.NTAccount]).Value }
    catch { return $null }  # a deleted account, or a domain that cannot be reached
}

function Get-AccountsState($Accounts) {
    $result = @{}
    foreach ($account in $Accounts) {
        $sid = Resolve-Sid $account.name
        $resolved = if ($sid) { Get-AccountName $sid } else { $null }
        $result[$account.name] = @{ exists = [bool]$sid; sid = $sid; resolved = $resolved }
    }
    return $result
}

function Get-ServiceLogonSids {
    # secedit, not LsaEnumerateAccountsWithUserRight through Add-Type: no C# to compile (Add-Type writes
    # its own temporary files too) and no LSA handles to free; its INF output is plain text. Holders
    # are "*S-1-..." or, when secedit could not resolve them, names.
    $base = Join-Path $env:TEMP "printops-host-state-$([guid]::NewGuid().ToString('N'))"
    $ErrorActionPreference = 'Continue'  # this function only: secedit's stderr is text, not an exception
    try {
        $out = & secedit.exe /export /areas USER_RIGHTS /cfg "$base.inf" /log "$base.log" /quiet 2>&1
        if ($LASTEXITCODE -ne 0) { throw "secedit /export failed (exit code $LASTEXITCODE): $out" }
        $lines = @(Get-Content -LiteralPath "$base.inf" -ErrorAction Stop |
                Where-Object { $_ -match '^\s*SeServiceLogonRight\s*=' })
        $holders = @(if ($lines) { ($lines[0] -split '=', 2)[1] -split ',' })
        $sids = @(foreach ($holder in $holders) {
                $holder = $holder.Trim()
                if ($holder.StartsWith('*')) { $holder.Substring(1) }
                elseif ($holder) { $sid = Resolve-Sid $holder; if ($sid) { $sid } else { $holder } }
            })
        return , $sids
    }
    finally {
        Remove-Item -LiteralPath "$base.inf", "$base.log" -Force -ErrorAction SilentlyContinue
    }
}

# --- the service -----------------------------------------------------------------------------------
function Find-Service([string]$Name) {
    # By name or display name: users know the display name ("Print ORS Service").
    Get-CimInstance -ClassName Win32_Service |
        Where-Object { $_.Name -eq $Name -or $_.DisplayName -eq $Name } | Select-Object -First 1
}

function Get-ServiceState([string]$Name) {
    $found = Find-Service $Name
    if (-not $found) {
        return @{ name = $Name; display_name = $null; exists = $false; start_name = $null; start_name_sid = $null
            start_mode = $null; state = $null }
    }
    $mode = "$($found.StartMode)".ToLowerInvariant()  # auto, manual, disabled (boot, system)
    $key = "HKLM:\SYSTEM\CurrentControlSet\Services\$($found.Name)"
    if ($mode -eq 'auto' -and (Get-ItemProperty -LiteralPath $key -ErrorAction SilentlyContinue).DelayedAutostart -eq 1) {
        $mode = 'delayed'
    }
    $sid = Resolve-Sid $found.StartName
    $state = "$($found.State)".ToLowerInvariant().Replace(' ', '_')  # "Start Pending" -> start_pending
    return @{ name = $found.Name; display_name = $found.DisplayName; exists = $true; start_name = $found.StartName
        start_name_sid = $sid; start_mode = $mode; state = $state }
}

# --- ACLs ------------------------------------------------------------------------------------------
function Get-AclRules($Acl) {
    # By SID, then each SID translated on its own: one that does not resolve keeps its SID as name.
    $rules = @(foreach ($rule in $Acl.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier])) {
        $sid = $rule.IdentityReference.Value
        $name = Get-AccountName $sid
        @{
            sid = $sid
            identity = $(if ($name) { $name } else { $sid })
            rights_mask = [int]$rule.FileSystemRights  # generic rights make it negative (0x80000000)
            type = $rule.AccessControlType.ToString().ToLowerInvariant()
            inheritance_flags = $rule.InheritanceFlags.ToString()
            propagation_flags = $rule.PropagationFlags.ToString()
            inherited = $rule.IsInherited
        }
    })
    return , $rules
}

function Get-FolderState([string]$Path) {
    $result = @{ path = $Path; exists = $false; owner_sid = $null; owner = $null; protected = $false; rules = @() }
    if (-not (Test-Path -LiteralPath $Path -PathType Container)) { return $result }
    $acl = Get-Acl -LiteralPath $Path
    $result.exists = $true
    $result.owner_sid = $acl.GetOwner([System.Security.Principal.SecurityIdentifier]).Value
    $result.owner = Get-AccountName $result.owner_sid
    $result.protected = $acl.AreAccessRulesProtected
    $result.rules = Get-AclRules $acl
    return $result
}

# --- the settings store ----------------------------------------------------------------------------
function Get-Fingerprint([string]$Salt, [string]$Secret) {
    # HMAC-SHA256(key = the salt's bytes, message = the secret as UTF-8), as settings.fingerprint.
    if ($Salt -notmatch '^([0-9a-fA-F]{2})*$') { return $null }
    $key = [byte[]]::new($Salt.Length / 2)
    for ($i = 0; $i -lt $key.Length; $i++) { $key[$i] = [Convert]::ToByte($Salt.Substring(2 * $i, 2), 16) }
    $hmac = [System.Security.Cryptography.HMACSHA256]::new($key)
    try { $hash = $hmac.ComputeHash([System.Text.Encoding]::UTF8.GetBytes($Secret)) }
    finally { $hmac.Dispose() }
    return [System.BitConverter]::ToString($hash).Replace('-', '').ToLowerInvariant()
}

function ConvertTo-SettingsView($Document) {
    # The view of settings.view_of: each secret replaced by {set, fingerprint} before anything is returned.
    foreach ($key in 'general.verification_code', 'proxy.password') {
        $section, $name = $key.Split('.')
        $values = $Document.$section
        if ($values -isnot [System.Management.Automation.PSCustomObject]) {
            $values = [PSCustomObject]@{}
            $Document | Add-Member -NotePropertyName $section -NotePropertyValue $values -Force
        }
        $secret = $values.$name
        $set = $secret -is [string] -and $secret.Length -gt 0
        $fingerprint = $null
        if ($set -and $Document.salt -is [string]) { $fingerprint = Get-Fingerprint $Document.salt $secret }
        $values | Add-Member -NotePropertyName $name -NotePropertyValue @{ set = $set; fingerprint = $fingerprint } -Force
        $secret = $null
    }
    return $Document
}

function Get-SettingsState([string]$Path) {
    $result = @{ path = $Path; exists = $false; error = $null; owner_sid = $null; protected = $null
        access = $null; document = $null }
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { return $result }
    $result.exists = $true
    try {
        $acl = Get-Acl -LiteralPath $Path
        $result.owner_sid = $acl.GetOwner([System.Security.Principal.SecurityIdentifier]).Value
        $result.protected = $acl.AreAccessRulesProtected
        $result.access = Get-AclRules $acl
    }
    catch { $module.Warn("cannot read the access rules of ${Path}: $($_.Exception.Message)") }
    # Only the exception's type: a decoding error's message shows the bytes it could not decode.
    try { $text = [System.Text.UTF8Encoding]::new($false, $true).GetString([System.IO.File]::ReadAllBytes($Path)) }
    catch {
        $result.error = "cannot read $Path as UTF-8 text ($($_.Exception.GetType().Name))"
        return $result
    }
    # ConvertFrom-Json's message may quote the text around the error (a secret): never pass it on.
    try { $document = ConvertFrom-Json -InputObject ($text.TrimStart([char]0xFEFF)) }
    catch { $document = $null }
    if ($null -eq $document) {
        $result.error = "$Path is not valid JSON: fix it or remove it to start from the defaults"
    }
    elseif ($document -isnot [System.Management.Automation.PSCustomObject]) {
        $result.error = "$Path does not hold a JSON object"
    }
    elseif (-not (($document.schema -is [int] -or $document.schema -is [long]) -and $document.schema -eq 1)) {
        $result.error = "$Path has schema $(ConvertTo-Json -InputObject $document.schema -Compress); this reader knows schema 1"
    }
    else { $result.document = ConvertTo-SettingsView $document }
    return $result
}

# --- files -----------------------------------------------------------------------------------------
function Get-LicenseFiles([string]$Folder) {
    if (-not $Folder) { return , @() }
    if (-not (Test-Path -LiteralPath $Folder -PathType Container)) {
        $module.Warn("the license folder $Folder does not exist or cannot be reached")
        return , @()
    }
    # Extension, not -Filter '*.lic': the filter also matches 8.3 short names (x.licx is X~1.LIC).
    $licenses = @(foreach ($file in Get-ChildItem -LiteralPath $Folder -File | Where-Object { $_.Extension -eq '.lic' }) {
        # One read gives size, hash and text of the same content.
        $bytes = [System.IO.File]::ReadAllBytes($file.FullName)
        $hash = [System.Security.Cryptography.SHA256]::Create().ComputeHash($bytes)
        $text = $null
        if ($bytes.Length -le $TextLimit) { $text = [System.Text.Encoding]::UTF8.GetString($bytes) }
        else { $module.Warn("the license file $($file.FullName) is $($bytes.Length) bytes, more than ${TextLimit}: its text is not returned") }
        @{ name = $file.Name; size = $bytes.Length; text = $text
            sha256 = [System.BitConverter]::ToString($hash).Replace('-', '').ToLowerInvariant() }
    })
    return , $licenses
}

function Get-LicenseBackups([string]$Folder, [string]$License) {
    if (-not $Folder -or -not (Test-Path -LiteralPath $Folder -PathType Container)) { return , @() }
    $names = @(Get-ChildItem -LiteralPath $Folder -File | Where-Object { $_.Extension -eq '.bak' -and (
                -not $License -or $_.Name.StartsWith("$License.", [System.StringComparison]::OrdinalIgnoreCase)) } |
            ForEach-Object { $_.Name })
    return , $names
}

# --- network, TeamViewer, share, license server ----------------------------------------------------
function Get-Adapters {
    $adapters = @(foreach ($adapter in Get-NetAdapter) {
            @{ name = $adapter.Name; description = $adapter.InterfaceDescription; mac = $adapter.MacAddress
                status = "$($adapter.Status)"; virtual = [bool]$adapter.Virtual }
        })
    return , $adapters
}

function Get-ShareState([string]$Name) {
    $result = @{ name = $Name; exists = $false; path = $null; description = $null; access = @() }
    $share = Get-SmbShare -Name $Name -ErrorAction SilentlyContinue -ErrorVariable problem
    if (-not $share) {
        if ($problem -and "$($problem[0].CategoryInfo.Category)" -ne 'ObjectNotFound') { throw $problem[0] }
        return $result
    }
    $result.exists = $true
    $result.path = $share.Path
    $result.description = $share.Description
    # AccessRight / AccessControlType as text; windows_state also takes their numbers (0 = Full, Allow).
    $result.access = @(foreach ($entry in Get-SmbShareAccess -Name $Name) {
            @{ identity = $entry.AccountName; sid = Resolve-Sid $entry.AccountName
                access_right = "$($entry.AccessRight)"; type = "$($entry.AccessControlType)" }
        })
    return $result
}

function Get-LicenseServerState([string]$Lmutil, [string]$Service) {
    $exists = [bool]$Lmutil -and (Test-Path -LiteralPath $Lmutil -PathType Leaf)
    $result = @{ lmutil = @{ path = $Lmutil; exists = $exists } }
    if ($Service) {
        $found = Find-Service $Service
        $state = if ($found) { "$($found.State)".ToLowerInvariant().Replace(' ', '_') } else { $null }
        $result.service = @{ name = $Service; exists = [bool]$found; state = $state }
    }
    return $result
}

# --- main ------------------------------------------------------------------------------------------
function Read-Section([string]$Section, [string]$Key, [scriptblock]$Reader) {
    if ($sections -notcontains $Section) { return }
    try { $module.Result[$Key] = & $Reader }
    catch {
        $module.Warn("cannot read the $Key section: $($_.Exception.Message)")
        $module.Result[$Key] = $null
    }
}

$params = $module.Params
foreach ($need in @(@('folder', 'folder_path', 'the license folder to read'), @('share', 'share_name', 'the share to read'))) {
    if ($sections -contains $need[0] -and -not $params[$need[1]]) {
        $module.FailJson("$($need[1]): required to read the $($need[0]) section ($($need[2])): give it, or leave $($need[0]) out of sections")
    }
}
$module.Result.platform = 'windows'
Read-Section service service { Get-ServiceState $params.service }
Read-Section accounts accounts { Get-AccountsState $params.accounts }
Read-Section accounts service_logon_sids { Get-ServiceLogonSids }
Read-Section settings settings { Get-SettingsState $params.settings_path }
# The licenses of license_path, else of the FLS's folder, else of the path the settings store holds.
$licensePath = $params.license_path
if (-not $licensePath) { $licensePath = $params.folder_path }
if (-not $licensePath -and $sections -contains 'settings' -and $module.Result['settings']) {
    $licensePath = $module.Result['settings'].document.general.license_path
}
Read-Section licenses licenses { Get-LicenseFiles $licensePath }
Read-Section license_backups license_backups { Get-LicenseBackups $licensePath $params.license_name }
Read-Section mac_addresses mac_addresses_raw { Get-Adapters }
Read-Section teamviewer teamviewer { @{ present = [bool](Get-Service -Name 'TeamViewer*' -ErrorAction SilentlyContinue) } }
Read-Section folder folder { Get-FolderState $params.folder_path }
Read-Section share share { Get-ShareState $params.share_name }
Read-Section license_server license_server { Get-LicenseServerState $params.lmutil_path $params.license_service }
$module.ExitJson()
