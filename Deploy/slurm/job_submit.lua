-- The submit gate of slotd's partition: only slotd (root) submits to it, or moves jobs into it, so nobody can
-- bypass slotd's queue. (RootOnly=YES on the partition would strand slotd's --uid jobs: Slurm re-checks partition
-- access with the job's user on every pass, and they pend forever with Reason=PartitionConfig.)
local partition = "slotd"

local function names(list)
    for name in string.gmatch(list or "", "[^,]+") do
        if name == partition then return true end
    end
    return false
end

function slurm_job_submit(job_desc, part_list, submit_uid)
    if submit_uid ~= 0 and names(job_desc.partition) then
        slurm.log_user("partition '" .. partition .. "' takes jobs from slotd only: use slotctl submit")
        return slurm.ESLURM_ACCESS_DENIED
    end
    return slurm.SUCCESS
end

function slurm_job_modify(job_desc, job_rec, part_list, modify_uid)
    if modify_uid ~= 0 and names(job_desc.partition) then
        slurm.log_user("partition '" .. partition .. "' takes jobs from slotd only")
        return slurm.ESLURM_ACCESS_DENIED
    end
    return slurm.SUCCESS
end

slurm.log_info("slotd submit gate loaded for partition %s", partition)
return slurm.SUCCESS
