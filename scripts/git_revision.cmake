# git_revision.cmake — run at every build (cmake -P): writes OUT, a header defining PLAST_GIT
# as the short revision of SRC, with "-dirty" when the tree has uncommitted changes, so that
# run metadata always names the code that made it. The file is rewritten only when its text
# changes, so an unchanged revision rebuilds nothing.
execute_process(COMMAND git rev-parse --short HEAD WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE rev OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE changes OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(rev AND changes)
  set(rev "${rev}-dirty")
endif()
set(text "#define PLAST_GIT \"${rev}\"\n")
if(EXISTS ${OUT})
  file(READ ${OUT} old)
endif()
if(NOT "${old}" STREQUAL "${text}")
  file(WRITE ${OUT} "${text}")
endif()
