-- Argo CD health check for every clouddigit.ai kind (VPC, Subnet, SSHKey, VM, Volume, Bucket,
-- ProviderConfig, ClusterProviderConfig). It reads the conditions the operator writes:
--   Ready / Synced, and the kstatus pair Reconciling / Stalled.
-- Healthy: Ready=True for the current generation. Progressing: being created, updated, waiting
-- on a dependency, retrying a transient error, or deleting. Degraded: Stalled=True (needs the
-- user: bad spec, quota, budget, permissions). Suspended: paused by the clouddigit.ai/paused
-- annotation. Installed into argocd-cm by config/gitops/argocd-cm-health.yaml (docs/gitops.md).
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

local metadata = obj.metadata or {}
local ready = condition("Ready")
local stalled = condition("Stalled")

if metadata.deletionTimestamp ~= nil then
  if stalled ~= nil and stalled.status == "True" then
    hs.status = "Degraded"
    hs.message = "Deletion stalled: " .. describe(stalled)
  else
    hs.status = "Progressing"
    hs.message = "Deleting"
    if ready ~= nil and ready.status ~= "True" and describe(ready) ~= "" then
      hs.message = "Deleting: " .. describe(ready)
    end
  end
  return hs
end

-- Provider configurations carry no cloud resource; they are healthy unless they report otherwise.
if (obj.kind == "ProviderConfig" or obj.kind == "ClusterProviderConfig") and ready == nil then
  hs.status = "Healthy"
  hs.message = "Provider configuration"
  return hs
end

if metadata.annotations ~= nil and metadata.annotations["clouddigit.ai/paused"] == "true" then
  hs.status = "Suspended"
  hs.message = "Paused by the annotation clouddigit.ai/paused; remove it to resume"
  return hs
end

if ready == nil then
  return hs
end

local observed = obj.status.observedGeneration
if observed ~= nil and metadata.generation ~= nil and observed < metadata.generation then
  hs.status = "Progressing"
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
  hs.message = ready.message or "Ready"
  if hs.message == "" then
    hs.message = "Ready"
  end
  return hs
end

hs.status = "Progressing"
hs.message = describe(ready)
if hs.message == "" then
  hs.message = "Not ready yet"
end
return hs
