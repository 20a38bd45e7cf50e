module naragowire

go 1.19
