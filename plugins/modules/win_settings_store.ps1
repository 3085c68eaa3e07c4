#!powershell

# Copyright: (c) 2026, printops team
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# The Windows store adapter (docs/internals.md "The settings store document"): applies a settings patch
# to the Remote Service settings document, atomically, and keeps its ACL exactly Administrators and SYSTEM
# full control, the ORS account read, inheritance disabled, owner Administrators. Secrets never leave the host: the result has
# the view (each secret as {set, fingerprint}), the diff has markers. The lab twin is settings_store.py.

#AnsibleRequires -CSharpUtil Ansible.Basic

$spec = @{
    options = @{
        path = @{ type = 'path'; required = $true }
        account = @{ type = 'str' }
        set = @{ type = 'dict'; default = @{} }
        secrets = @{ type = 'dict'; default = @{}; no_log = $true }
    }
    supports_check_mode = $true
    # Ansible.Basic hides only a string no_log option: the secrets dict would be in its Windows event log entry.
    no_log = $true
}

# What each non-secret key takes (plugins/module_utils/settings.py SETTING_KINDS; a unit test keeps them equal).
$kinds = @{
    'general.enabled' = 'bool'
    'general.organization_id' = 'text'
    'general.license_server' = @('local', 'external')
    'general.license_path' = 'text'
    'proxy.mode' = @('none', 'auto_detect', 'manual')
    'proxy.url' = 'text'
    'proxy.domain' = 'text'
    'proxy.username' = 'text'
    'remote_assistance.enabled' = 'bool'
    'remote_assistance.until' = 'text'
}
$secretKeys = @('general.verification_code', 'proxy.password')
$defaults = @{
    general = @{ enabled = $false; organization_id = $null; verification_code = $null; license_server = 'local'; license_path = $null }
    proxy = @{ mode = 'none'; url = $null; domain = $null; username = $null; password = $null }
    remote_assistance = @{ enabled = $false; until = $null }
}
$fullControl = @('S-1-5-32-544', 'S-1-5-18')  # BUILTIN\Administrators, NT AUTHORITY\SYSTEM

$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$path = $module.Params.path
$shown = $module.Result.invocation.module_args  # ... and in the result's invocation: hide each secret
if ($shown.secrets -is [Collections.IDictionary]) {
    foreach ($key in @($shown.secrets.Keys)) { $shown.secrets[$key] = 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' }
}

Function Copy-Json($Value) { [Ansible.Basic.AnsibleModule]::FromJson([Ansible.Basic.AnsibleModule]::ToJson($Value)) }

Function Get-Setting($Document, [string]$Key) {
    $section, $name = $Key.Split('.')
    if ($null -eq $Document -or -not ($Document[$section] -is [Collections.IDictionary])) { return $null }
    if ($Document[$section].Contains($name)) { $Document[$section][$name] }
}

Function Test-SettingPresent($Document, [string]$Key) {
    $section, $name = $Key.Split('.')
    $null -ne $Document -and $Document[$section] -is [Collections.IDictionary] -and $Document[$section].Contains($name)
}

Function Get-Secret($Document, [string]$Key) {
    $value = Get-Setting $Document $Key
    if ($value -is [string] -and $value) { $value } else { $null }
}

Function ConvertTo-CheckedValue([string]$Key, $Value) {
    $kind = $kinds[$Key]
    if ($kind -eq 'bool') {
        if ($Value -is [bool]) { return $Value }
        if ($Value -is [string] -and $Value.ToLowerInvariant() -in @('true', 'yes', 'on', '1')) { return $true }
        if ($Value -is [string] -and $Value.ToLowerInvariant() -in @('false', 'no', 'off', '0')) { return $false }
        $module.FailJson("set: $Key takes true or false, not $([Ansible.Basic.AnsibleModule]::ToJson($Value))")
    }
    if ($kind -eq 'text') {
        if ($null -eq $Value -or $Value -is [string]) { return $Value }
        $module.FailJson("set: $Key takes a string or null, not $([Ansible.Basic.AnsibleModule]::ToJson($Value))")
    }
    if ($Value -is [string] -and $Value -cin $kind) { return $Value }
    $module.FailJson("set: $Key takes one of $($kind -join ', '), not $([Ansible.Basic.AnsibleModule]::ToJson($Value))")
}

Function Get-CheckedPatch {
    $set = @{}
    foreach ($key in @($module.Params.set.Keys)) {
        if ($key -cin $secretKeys) { $module.FailJson("set: $key is a secret: give it under secrets, not set") }
        if (@($kinds.Keys) -cnotcontains $key) { $module.FailJson("set: unknown key `"$key`"; valid keys: $(@($kinds.Keys | Sort-Object) -join ', ')") }
        $set[$key] = ConvertTo-CheckedValue $key $module.Params.set[$key]
    }
    $secrets = @{}
    foreach ($key in @($module.Params.secrets.Keys)) {
        if ($key -cnotin $secretKeys) {
            if (@($kinds.Keys) -ccontains $key) { $module.FailJson("secrets: $key is not a secret: give it under set") }
            $module.FailJson("secrets: unknown key `"$key`"; valid keys: $($secretKeys -join ', ')")
        }
        $value = $module.Params.secrets[$key]
        if ($null -ne $value -and -not ($value -is [string])) { $module.FailJson("secrets: $key takes a string or null") }
        $secrets[$key] = if ($value) { $value } else { $null }
    }
    @{ set = $set; secrets = $secrets }
}

Function New-Salt {
    $bytes = New-Object byte[] 16
    $rng = New-Object System.Security.Cryptography.RNGCryptoServiceProvider
    try { $rng.GetBytes($bytes) } finally { $rng.Dispose() }
    -join ($bytes | ForEach-Object { $_.ToString('x2') })
}

Function Read-Document([string]$Path) {
    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) { return $null }
    # Never the parser's or decoder's message: they quote the text (a secret) or its bytes.
    try { $text = [IO.File]::ReadAllText($Path, (New-Object Text.UTF8Encoding($false, $true))) }
    catch [Text.DecoderFallbackException] { $module.FailJson("$Path is not UTF-8 text: fix it, or remove it to start from the defaults") }
    catch { $module.FailJson("cannot read ${Path}: $($_.Exception.Message)") }
    try { $document = [Ansible.Basic.AnsibleModule]::FromJson($text) }
    catch { $module.FailJson("$Path is not valid JSON: fix it, or remove it to start from the defaults") }
    if (-not ($document -is [Collections.IDictionary])) {
        $module.FailJson("$Path does not hold a JSON object: fix it, or remove it to start from the defaults")
    }
    if (-not ($document['schema'] -is [int] -and $document['schema'] -eq 1)) {  # not "1" or 1.0: the reader refuses them
        $module.FailJson("$Path has schema $([Ansible.Basic.AnsibleModule]::ToJson($document['schema'])); this writer knows schema 1 only and leaves it as it is")
    }
    , $document
}

Function Complete-Document($Current) {
    # The current document with every schema 1 key (missing ones from the defaults); a new one without it.
    $document = if ($null -ne $Current) { Copy-Json $Current } else { @{ schema = 1 } }
    if (-not ($document['salt'] -is [string] -and $document['salt'] -cmatch '^[0-9a-f]{32}$')) { $document['salt'] = New-Salt }
    foreach ($section in @('general', 'proxy', 'remote_assistance')) {
        if (-not $document.Contains($section)) { $document[$section] = @{} }
        if (-not ($document[$section] -is [Collections.IDictionary])) {
            $module.FailJson("the document's $section is not a JSON object: fix or remove $path")
        }
        foreach ($name in @($defaults[$section].Keys)) {
            if (-not $document[$section].Contains($name)) { $document[$section][$name] = $defaults[$section][$name] }
        }
    }
    , $document
}

Function Get-Fingerprint([string]$Salt, [string]$Secret) {
    $key = [byte[]]@(for ($i = 0; $i -lt $Salt.Length; $i += 2) { [Convert]::ToByte($Salt.Substring($i, 2), 16) })
    $hmac = New-Object System.Security.Cryptography.HMACSHA256 -ArgumentList @(, $key)
    try { $hash = $hmac.ComputeHash([Text.Encoding]::UTF8.GetBytes($Secret)) } finally { $hmac.Dispose() }
    -join ($hash | ForEach-Object { $_.ToString('x2') })
}

Function Get-View($Document) {
    $view = Copy-Json $Document
    foreach ($key in $secretKeys) {
        $section, $name = $key.Split('.')
        $value = Get-Secret $Document $key
        $print = if ($null -ne $value) { Get-Fingerprint $Document['salt'] $value } else { $null }
        $view[$section][$name] = @{ set = ($null -ne $value); fingerprint = $print }
    }
    , $view
}

Function Get-Masked($Document, $Other, [bool]$Before) {
    # One side of the diff: no salt, each secret as (secret set|changed|unchanged) or (not set).
    if ($null -eq $Document) { return $null }
    $masked = Copy-Json $Document
    $masked.Remove('salt') | Out-Null
    foreach ($key in $secretKeys) {
        $section, $name = $key.Split('.')
        $mine, $theirs = (Get-Secret $Document $key), (Get-Secret $Other $key)
        $old, $new = if ($Before) { $mine, $theirs } else { $theirs, $mine }
        $marker = if ($old -ceq $new) {
            if ($null -ne $old) { '(secret unchanged)' } else { '(not set)' }
        }
        elseif ($Before) { if ($null -ne $old) { '(secret set)' } else { '(not set)' } }
        elseif ($null -eq $new) { '(not set)' }
        elseif ($null -ne $old) { '(secret changed)' }
        else { '(secret set)' }
        $masked[$section][$name] = $marker
    }
    , $masked
}

Function ConvertTo-Sid([string]$Name) {
    if ($Name -in @('LocalSystem', '.\LocalSystem')) { return New-Object System.Security.Principal.SecurityIdentifier('S-1-5-18') }
    $lookup = if ($Name.StartsWith('.\')) { "$env:COMPUTERNAME\$($Name.Substring(2))" } else { $Name }
    try {
        if ($Name -match '^S-1-') { return New-Object System.Security.Principal.SecurityIdentifier($Name) }
        (New-Object System.Security.Principal.NTAccount($lookup)).Translate([System.Security.Principal.SecurityIdentifier])
    }
    catch { $module.FailJson("account: '$Name' is not an account this host knows: create it first (printops.prismadirect.ors_account)") }
}

Function Get-WantedRules($ReaderSid) {
    $rules = @($fullControl | ForEach-Object { "$_|2032127|Allow" })  # FullControl
    if ($ReaderSid) { $rules += "$($ReaderSid.Value)|1179785|Allow" }  # Read, Synchronize
    @($rules | Sort-Object)
}

Function Test-StoreSecurity([string]$Path, $ReaderSid) {
    $acl = Get-Acl -LiteralPath $Path
    if (-not $acl.AreAccessRulesProtected) { return $false }
    # An owner may change the ACL: Administrators or SYSTEM only (as the win_host_state reader checks).
    if ($acl.GetOwner([System.Security.Principal.SecurityIdentifier]).Value -notin $fullControl) { return $false }
    $have = @($acl.GetAccessRules($true, $true, [System.Security.Principal.SecurityIdentifier]) | ForEach-Object {
            "$($_.IdentityReference.Value)|$([int]$_.FileSystemRights)|$($_.AccessControlType)"
        } | Sort-Object)
    ($have -join ';') -ceq ((Get-WantedRules $ReaderSid) -join ';')
}

Function Set-StoreSecurity([string]$Path, $ReaderSid) {
    $security = New-Object System.Security.AccessControl.FileSecurity
    $security.SetOwner((New-Object System.Security.Principal.SecurityIdentifier($fullControl[0])))
    $security.SetAccessRuleProtection($true, $false)
    foreach ($sid in $fullControl) {
        $rule = New-Object System.Security.AccessControl.FileSystemAccessRule(
            (New-Object System.Security.Principal.SecurityIdentifier($sid)), 'FullControl', 'Allow')
        $security.AddAccessRule($rule)
    }
    if ($ReaderSid) {
        $security.AddAccessRule((New-Object System.Security.AccessControl.FileSystemAccessRule($ReaderSid, 'Read', 'Allow')))
    }
    [IO.File]::SetAccessControl($Path, $security)
}

Function Write-Document([string]$Path, $Document, $ReaderSid) {
    # A temp file in the same folder, protected before it holds anything, written through, then moved
    # over the document in one step ([IO.File]::Replace keeps the replaced file's ACL: set before, checked
    # after). Replace gets a backup name: without one a failed rename can leave the document under no name.
    $directory = [IO.Path]::GetDirectoryName($Path)
    if (-not (Test-Path -LiteralPath $directory -PathType Container)) { New-Item -Path $directory -ItemType Directory -Force | Out-Null }
    $temp = Join-Path $directory ".$([IO.Path]::GetFileName($Path)).$([Guid]::NewGuid().ToString('N').Substring(0, 8)).tmp"
    $backup = "$temp.old"
    try {
        [IO.File]::Create($temp).Dispose()
        Set-StoreSecurity $temp $ReaderSid
        $bytes = (New-Object Text.UTF8Encoding($false)).GetBytes([Ansible.Basic.AnsibleModule]::ToJson($Document) + "`n")
        $stream = New-Object IO.FileStream($temp, [IO.FileMode]::Truncate, [IO.FileAccess]::Write, [IO.FileShare]::None, 4096, [IO.FileOptions]::WriteThrough)
        try { $stream.Write($bytes, 0, $bytes.Length); $stream.Flush() } finally { $stream.Dispose() }
        if (Test-Path -LiteralPath $Path -PathType Leaf) {
            [IO.File]::Replace($temp, $Path, $backup)
            Remove-Item -LiteralPath $backup -Force -ErrorAction SilentlyContinue
        }
        else { [IO.File]::Move($temp, $Path) }
    }
    catch {
        # ERROR_UNABLE_TO_MOVE_REPLACEMENT_2: the document was moved to the backup name; put it back.
        if ((Test-Path -LiteralPath $backup) -and -not (Test-Path -LiteralPath $Path)) { [IO.File]::Move($backup, $Path) }
        Remove-Item -LiteralPath $temp, $backup -Force -ErrorAction SilentlyContinue
        $module.FailJson("cannot write ${Path}: $($_.Exception.Message)", $_)
    }
}

$patch = Get-CheckedPatch
$readerSid = if ($module.Params.account) { ConvertTo-Sid $module.Params.account } else { $null }
# Administrators, SYSTEM and the Administrator accounts read through the full-control rules (windows_state
# checks the store with acl_model.is_administrator): no rule of their own, which AddAccessRule would merge away.
if ($readerSid -and ($readerSid.Value -in $fullControl -or $readerSid.Value -match '^S-1-5-21(-\d+)+-(500|512|519)$')) { $readerSid = $null }
$current = Read-Document $path
$after = Complete-Document $current
foreach ($entry in @($patch.set.GetEnumerator()) + @($patch.secrets.GetEnumerator())) {
    $section, $name = $entry.Key.Split('.')
    $after[$section][$name] = $entry.Value
}

$contentChanged = $null -eq $current -or ([Ansible.Basic.AnsibleModule]::ToJson($after) -cne [Ansible.Basic.AnsibleModule]::ToJson($current))
$aclChanged = $null -eq $current -or -not (Test-StoreSecurity $path $readerSid)
if (-not $module.CheckMode) {
    # The security first: Replace keeps the document's ACL, so new secrets never sit under the old one.
    if ($aclChanged -and $null -ne $current) { Set-StoreSecurity $path $readerSid }
    if ($contentChanged) { Write-Document $path $after $readerSid }
    if (($contentChanged -or $aclChanged) -and -not (Test-StoreSecurity $path $readerSid)) { Set-StoreSecurity $path $readerSid }
}

$changedKeys = [Collections.Generic.List[string]]@()
foreach ($key in @($kinds.Keys) + $secretKeys) {
    $old = [Ansible.Basic.AnsibleModule]::ToJson((Get-Setting $current $key))
    if (-not (Test-SettingPresent $current $key) -or $old -cne [Ansible.Basic.AnsibleModule]::ToJson((Get-Setting $after $key))) {
        $changedKeys.Add($key)
    }
}

$module.Result.changed = $contentChanged -or $aclChanged
$module.Result.path = $path
$module.Result.created = $null -eq $current
$module.Result.changed_keys = @($changedKeys | Sort-Object)
$module.Result.view = @{
    path = $path; exists = $true; owner = $null; group = $null; mode = $null; protection = $null
    document = (Get-View $after); error = $null
}
$module.Diff.before = if ($null -eq $current) { @{ path = $path; state = 'absent' } } else {
    @{ path = $path; state = 'present'; acl = $(if ($aclChanged) { 'not exactly Administrators, SYSTEM, the ORS account' } else { 'ok' })
        settings = (Get-Masked $current $after $true) }
}
$module.Diff.after = @{ path = $path; state = 'present'; acl = 'ok'; settings = (Get-Masked $after $current $false) }
$module.ExitJson()
