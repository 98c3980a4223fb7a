-- The submit gate of slotd's partition: only slotd (root) submits to it, moves jobs into it, or changes its jobs
-- (their comment and name tie them to slotd's requests), so nobody can bypass slotd's queue or pass a job off as
-- another request's. (RootOnly=YES on the partition would strand slotd's --uid jobs: Slurm re-checks partition
-- access with the job's user on every pass, and they pend forever with Reason=PartitionConfig.)
local partition = "slotd"

local function names(list)
    for name in string.gmatch(list or "", "[^,]+") do
        if name == partition then return true end
    end
    return false
end

local function refuse(uid, touches, message)
    if uid ~= 0 and touches then
        slurm.log_user("partition '" .. partition .. "' " .. message)
        return slurm.ESLURM_ACCESS_DENIED
    end
    return slurm.SUCCESS
end

function slurm_job_submit(job_desc, part_list, submit_uid)
    return refuse(submit_uid, names(job_desc.partition), "takes jobs from slotd only: use slotctl submit")
end

function slurm_job_modify(job_desc, job_rec, part_list, modify_uid)
    local touches = names(job_desc.partition) or (job_rec ~= nil and names(job_rec.partition))
    return refuse(modify_uid, touches, "is slotd's: its jobs change through slotctl only")
end

slurm.log_info("slotd submit gate loaded for partition %s", partition)
return slurm.SUCCESS
