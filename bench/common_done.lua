-- Plain GETs of one URL, summarised like the other scripts.
package.path = "bench/?.lua;" .. package.path
done = require("common").done
