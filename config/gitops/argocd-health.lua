-- Argo CD health check for every clouddigit.ai kind (VPC, Subnet, SSHKey, VM, Volume, Bucket,
-- ProviderConfig, ClusterProviderConfig). It reads the conditions the operator writes:
--   Ready / Synced, the kstatus pair Reconciling / Stalled, and on provider configurations
--   DeletionsStalled (objects using the config that cannot finish deleting).
-- Healthy: Ready=True for the current generation. Progressing: no status yet, being created,
-- updated, waiting on a dependency, or a generation the operator has not observed. Degraded:
-- Stalled=True (needs the user: bad spec, quota, budget, permissions), or DeletionsStalled=True on
-- a provider configuration. Suspended: paused by the clouddigit.ai/paused annotation.
-- Argo CD runs this with gopher-lua (Lua 5.1) and only its base, table and package libraries:
-- no string library, so no string methods. Installed into argocd-cm by
-- config/gitops/argocd-cm-health.yaml (docs/gitops.md).
local hs = { status = "Progressing", message = "Waiting for the operator to report status" }

local function condition(conditionType)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == conditionType then
      return c
    end
  end
  return nil
end

local function describe(c)
  if c == nil then
    return ""
  end
  local text = c.reason or ""
  if c.message ~= nil and c.message ~= "" then
    if text ~= "" then
      text = text .. ": "
    end
    text = text .. c.message
  end
  return text
end

-- Every letter case of a word, e.g. true, True, TRUE, tRuE (built by concatenation: no string library).
local function everyCase(letters)
  local words = { [""] = true }
  for _, pair in ipairs(letters) do
    local longer = {}
    for word in pairs(words) do
      longer[word .. pair[1]] = true
      longer[word .. pair[2]] = true
    end
    words = longer
  end
  return words
end
local TRUE_WORDS = everyCase({ { "t", "T" }, { "r", "R" }, { "u", "U" }, { "e", "E" } })
local FALSE_WORDS = everyCase({ { "f", "F" }, { "a", "A" }, { "l", "L" }, { "s", "S" }, { "e", "E" } })

local metadata = obj.metadata or {}
local annotations = metadata.annotations or {}
local ready = condition("Ready")
local stalled = condition("Stalled")

-- The operator pauses on "true" in any letter case, and on any value other than "false" (with a
-- warning). Values this script cannot read without a string library (" true", "yes") count as
-- paused once the operator says so in Synced.
local function isPaused()
  local value = annotations["clouddigit.ai/paused"]
  if value == nil or value == "" or FALSE_WORDS[value] then
    return false
  end
  if TRUE_WORDS[value] then
    return true
  end
  local synced = condition("Synced")
  return synced ~= nil and synced.reason == "ReconcilePaused"
end

-- Argo CD itself answers Progressing "Pending deletion" for an object being deleted, before it runs
-- any health script; this branch only serves tools that run the script alone.
if metadata.deletionTimestamp ~= nil then
  hs.message = "Deleting"
  if ready ~= nil and ready.status ~= "True" and describe(ready) ~= "" then
    hs.message = "Deleting: " .. describe(ready)
  end
  return hs
end

if obj.kind == "ProviderConfig" or obj.kind == "ClusterProviderConfig" then
  -- Deletions stalled on objects that use this configuration: the place Argo CD can show them,
  -- since it reports the deleting objects themselves as "Pending deletion".
  local deletionsStalled = condition("DeletionsStalled")
  if deletionsStalled ~= nil and deletionsStalled.status == "True" then
    hs.status = "Degraded"
    hs.message = deletionsStalled.message
    if hs.message == nil or hs.message == "" then
      hs.message = describe(deletionsStalled)
    end
    return hs
  end
elseif isPaused() then
  hs.status = "Suspended"
  hs.message = "Paused by the annotation clouddigit.ai/paused; remove it to resume"
  return hs
end

if ready == nil then
  return hs
end

local observed = obj.status.observedGeneration
if observed ~= nil and metadata.generation ~= nil and observed ~= metadata.generation then
  hs.message = "Waiting for the operator to observe generation " .. tostring(metadata.generation)
  return hs
end

if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled)
  return hs
end

if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message or ""
  if hs.message == "" then
    hs.message = "Ready"
  end
  return hs
end

hs.message = describe(ready)
if hs.message == "" then
  hs.message = "Not ready yet"
end
return hs
